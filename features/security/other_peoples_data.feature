@allure.label.epic:Security @customer
Feature: Nobody sees another company's conversations
  In order to trust the assistant with my company's spending questions
  As a customer of the AI spend assistant
  I want my conversations, answers and their progress to reach me and nobody else

  Business value:
    Alice and Bob work for competing companies. If Bob could open Alice's conversation, read the
    log of her answer, find her words by searching, or catch up on her answer as if it were his,
    we would be leaking one customer's spending to another. Asking about something that is not
    yours gets the same answer as asking about something that does not exist, so Bob cannot even
    learn that it exists. The same holds for what the assistant looks up to understand a
    question: the names of Alice's features never shape the answer Bob gets.

  Background:
    Given Alice has signed up and is signed in
    And Alice has asked "How can we cut our model spend?" and received the answer
    And Bob has signed up and is signed in

  @critical
  Scenario Outline: Bob cannot reach into Alice's conversation
    When Bob tries to <reach into Alice's conversation>
    Then Bob is told there is no such conversation
    And none of Alice's progress reached Bob

    Examples:
      | reach into Alice's conversation            |
      | open Alice's conversation                  |
      | read the log of Alice's answer             |
      | ask a question inside Alice's conversation |
      | catch up on Alice's answer as his own      |

  @critical
  Scenario: Bob's search never finds Alice's words
    When Bob searches his conversations for "model spend"
    Then Bob finds nothing

  @critical
  Scenario: Alice's progress never reaches Bob while both ask at the same time
    Given Alice's company has a month of AI usage on record
    And Bob's company spent this in the last month:
      | model       | feature  | requests | input tokens | output tokens | cost  |
      | gpt-4o-mini | helpdesk | 1000     | 1000000      | 200000        | 42.50 |
    When Alice and Bob both ask "How can we cut our model spend?" at the same time
    Then Alice and Bob each get their own answer
    And none of Alice's progress reached Bob

  @critical
  Scenario: Bob asks about a feature only Alice's company has, and is answered about his own spend
    Given Alice's company spent this in the last month:
      | model  | feature        | requests | input tokens | output tokens | cost   |
      | gpt-4o | nightly-digest | 3000     | 30000000     | 6000000       | 135.00 |
    And Bob's company spent this in the last month:
      | model       | feature  | requests | input tokens | output tokens | cost  |
      | gpt-4o-mini | helpdesk | 1000     | 1000000      | 200000        | 42.50 |
    When Bob asks "What does our nightly digest cost us?"
    Then Bob is told his company spent $42.50 in the last 30 days
    And Bob's answer names none of Alice's features

  @critical
  Scenario: Bob's follow-up names a feature only Alice's company has, and keeps to his own spend
    Given Alice's company spent this in the last month:
      | model  | feature        | requests | input tokens | output tokens | cost   |
      | gpt-4o | nightly-digest | 3000     | 30000000     | 6000000       | 135.00 |
    And Bob's company spent this in the last month:
      | model       | feature  | requests | input tokens | output tokens | cost  |
      | gpt-4o-mini | helpdesk | 1000     | 1000000      | 200000        | 42.50 |
    And Bob has asked "How can we cut our model spend?" and received the answer
    When Bob asks in the same conversation "What about the spend on the nightly digest only?"
    Then Bob is told his company spent $42.50 in the last 30 days
    And Bob's answer names none of Alice's features
