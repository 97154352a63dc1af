@allure.label.epic:AgentProgress @customer
Feature: A tool in trouble is tried again, and a savings analysis that cannot run is estimated
  In order to get an answer even when part of the assistant has a bad moment
  As someone asking the assistant about my company's AI spend
  I want a passing failure tried again in front of me, and an honest estimate when the full
  savings analysis cannot run

  Business value:
    A dropped connection lasts a moment; ending the question for it sends the customer back to
    ask again, and each retry they make costs a full answer. When the savings analysis itself is
    out of order, a simpler estimate still answers the question, but it must say that it is an
    estimate, so that nobody budgets on a figure the full analysis did not produce.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company has a month of AI usage on record

  @critical @fault
  Scenario: Reading the usage data fails once; the assistant tries again and Alice gets her answer
    Given Alice's laptop is on a server where reading usage data fails once, then works
    When Alice asks "How can we cut our model spend?"
    Then Alice sees the usage report fail once and be tried again
    And Alice is told she can save about $1,383.50 a month

  @critical @fault
  Scenario: The savings analysis cannot run; Alice gets an estimate and is told it is one
    # The estimate counts only batching, from the spend alone: the nightly report's $135.00 on
    # gpt-4o at half price saves $67.50 (the full analysis would also move the support bot).
    Given Alice's laptop is on a server where the savings analysis is out of order
    When Alice asks "How can we cut our model spend?"
    Then Alice is told the savings are only an estimate
    And Alice is told her company spent $3,785.00 in the last 30 days
    And Alice is told she can save about $67.50 a month
