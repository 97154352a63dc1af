@allure.label.epic:Resilience @fault @customer
Feature: Database trouble never loses a question
  In order to rely on the assistant when our systems have a bad day
  As a customer asking about my company's AI spend
  I want to be told at once when my question cannot be taken, and never lose one that was

  Business value:
    Every conversation lives in our database. When it restarts, stalls or is down for a while,
    customers must hear "try again shortly" within seconds instead of watching a spinner, and
    every question the assistant confirmed must still be there, exactly once, with its answer.
    A lost or doubled question breaks the trust that turns a trial into a subscription.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company has a month of AI usage on record

  @critical
  Scenario Outline: After the database <trouble>, Alice carries on without seeing an error
    Given Alice has asked "How can we cut our model spend?" and received the answer
    And the database <trouble>
    When Alice asks in the same conversation "What about only the support bot?"
    Then Alice is told she can save about $1,316.00 a month
    And Alice never saw an error
    And Alice's conversation holds 2 questions, each followed by its answer

    Examples:
      | trouble                          |
      | has restarted                    |
      | has had all its connections cut  |

  @critical
  Scenario: An answer the database is slow to store reaches Alice only once it is in her history
    Given Alice's laptop is on a server where reading usage data takes a while
    When Alice asks "How can we cut our model spend?", and the database then takes 2 seconds to store the answer
    Then Alice is told she can save about $1,383.50 a month
    And Alice's answer was already in her history the moment it arrived, after the database's delay

  @critical @direct
  Scenario: A question asked while the database is down is refused clearly, then stored once
    Given the database goes down for a while
    When Alice asks "How can we cut our model spend?" and keeps trying until it goes through
    Then while the database was down, Alice was told each time within 2 seconds to try again shortly
    And Alice's question was confirmed only once the database was back
    And the service said it was not ready while the database was down, each time within a second
    And Alice is told she can save about $1,383.50 a month
    And Alice's question "How can we cut our model spend?" is in her conversation once

  Scenario Outline: While the database <trouble> for a while, nobody is left waiting
    Given the database <trouble> for a while
    When Alice asks "How can we cut our model spend?" and keeps trying until it goes through
    Then while the database was <state>, Alice was told each time within 3 seconds to try again shortly
    And the service said it was not ready while the database was <state>, each time within a second
    And Alice is told she can save about $1,383.50 a month
    And Alice's question "How can we cut our model spend?" is in her conversation once

    Examples:
      | trouble                 | state                     |
      | stops responding        | not responding            |
      | swallows every message  | swallowing every message  |

  @critical @allure.issue:12
  Scenario: Regression: opening the chat while the database is down is refused clearly
    Given the database goes down for a while
    When Alice keeps opening the chat until the database is back
    Then each time the chat opened or Alice was told to try again shortly, never failing unexplained
    And once it was back, Alice's chat opened
