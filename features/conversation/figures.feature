@allure.label.epic:Conversation @customer
Feature: The figures are right at the edges
  In order to put the assistant's figures in front of my finance team
  As the person responsible for my company's AI budget
  I want the totals and savings exact to the cent, over exactly the last 30 days

  Business value:
    A figure that is a cent off, or that counts a day too many, is a figure finance stops
    trusting, and with it the savings advice. The edges are where figures go wrong: the first
    and last day of the period, half cents, models we have no price for, and one feature spread
    over several models. Each expected figure below is worked out by hand from its table.

  Background:
    Given Alice has signed up and is signed in

  @critical
  Scenario: The last 30 days include today and the 29 days before it, and nothing older
    # Counted: 10 + 20 = $30.00; batched at half price, the nightly report saves $15.00.
    Given Alice's company recorded this usage:
      | days ago | model       | feature        | requests | input tokens | output tokens | cost  |
      | 0        | gpt-4o-mini | nightly-report | 100      | 100000       | 20000         | 10.00 |
      | 29       | gpt-4o-mini | nightly-report | 100      | 100000       | 20000         | 20.00 |
      | 30       | gpt-4o-mini | nightly-report | 100      | 100000       | 20000         | 40.00 |
      | 31       | gpt-4o-mini | nightly-report | 100      | 100000       | 20000         | 80.00 |
    When Alice asks "How can we cut our model spend?"
    Then Alice is told her company spent $30.00 in the last 30 days
    And Alice is told she can save about $15.00 a month

  @critical
  Scenario: Half cents are rounded up once, after adding up, never record by record
    # Total: 10.005 + 10.005 + 10.01 = 30.02 (30.03 rounding each record, 30.01 rounding to
    # even). Savings: the nightly report batched at half price: 10.01 / 2 = 5.005 -> 5.01.
    Given Alice's company recorded this usage:
      | days ago | model       | feature        | requests | input tokens | output tokens | cost   |
      | 3        | gpt-4o-mini | helpdesk       | 100      | 100000       | 20000         | 10.005 |
      | 4        | gpt-4o-mini | search         | 100      | 100000       | 20000         | 10.005 |
      | 5        | gpt-4o-mini | nightly-report | 100      | 100000       | 20000         | 10.01  |
    When Alice asks "How can we cut our model spend?"
    Then Alice is told her company spent $30.02 in the last 30 days
    And Alice is told she can save about $5.01 a month

  @critical
  Scenario: One feature on several models, one of them without a known price
    # Only gpt-4o's support-bot is light (1,000 input / 200 output tokens a request): it would
    # cost 1,000,000 x 0.15 + 200,000 x 0.60 per million = $0.27 on gpt-4o-mini, saving $99.73.
    # claude-sonnet-4's requests are too heavy to move; mystery-model-x has no price, so it is
    # neither moved nor batched, even for a digest. Total: 100 + 50 + 25 + 8 = $183.00.
    Given Alice's company recorded this usage:
      | days ago | model           | feature       | requests | input tokens | output tokens | cost   |
      | 2        | gpt-4o          | support-bot   | 1000     | 1000000      | 200000        | 100.00 |
      | 2        | claude-sonnet-4 | support-bot   | 1000     | 3000000      | 200000        | 50.00  |
      | 2        | mystery-model-x | support-bot   | 500      | 100000       | 10000         | 25.00  |
      | 2        | mystery-model-x | weekly-digest | 10       | 10000        | 1000          | 8.00   |
    When Alice asks "How can we cut our model spend?"
    Then Alice is told her company spent $183.00 in the last 30 days
    And Alice is told she can save about $99.73 a month
    And the answer suggests moving "support-bot" from "gpt-4o" to "gpt-4o-mini"
    And the answer says there is no price for "mystery-model-x"
