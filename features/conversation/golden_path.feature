@allure.label.epic:Conversation @customer
Feature: Ask the assistant how to cut AI spend
  In order to spend less on AI models without hurting my product
  As the person responsible for my company's AI budget
  I want to ask the assistant and get a concrete answer computed from our own usage

  Business value:
    Teams overspend on premium models for work a cheaper model does as well. An answer with the
    total we spent and the dollars we can save each month, computed from our own usage, is what
    turns a trial into a subscription. This is the golden path: if it breaks, nothing else matters.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company spent this in the last month:
      | model         | feature         | requests | input tokens | output tokens | cost     |
      | gpt-4o        | support-bot     | 400000   | 320000000    | 60000000      | 1400.00  |
      | gpt-4o        | nightly-report  | 3000     | 30000000     | 6000000       | 135.00   |
      | claude-opus-4 | contract-review | 20000    | 100000000    | 10000000      | 2250.00  |

  @critical
  Scenario: Alice learns what her company spent and how much it can save
    When Alice asks "How can we cut our model spend?"
    Then Alice sees the assistant start working within 2 seconds
    And Alice sees every kind of progress, in order, ending with the answer within 5 seconds
    And Alice is told her company spent $3,785.00 in the last 30 days
    And Alice is told she can save about $1,383.50 a month
    And the answer suggests moving "support-bot" from "gpt-4o" to "gpt-4o-mini"
    And the answer suggests batching "nightly-report"

  @critical
  Scenario: Alice finds the conversation in her history
    Given Alice has asked "How can we cut our model spend?" and received the answer
    When Alice opens her conversation history
    Then Alice sees a conversation titled "How can we cut our model spend?"
    And it holds her question followed by the assistant's answer

  @critical
  Scenario: A follow-up question narrows the answer to one feature
    Given Alice has asked "How can we cut our model spend?" and received the answer
    When Alice asks in the same conversation "What about only the support bot?"
    Then Alice is told her company spent $1,400.00 in the last 30 days
    And Alice is told she can save about $1,316.00 a month
    And the answer is about the "support-bot" feature only

  @critical
  Scenario: A follow-up that only makes sense after the earlier questions keeps their scope
    Given Alice has asked "How can we cut our model spend?" and received the answer
    And Alice has asked in the same conversation "What about only the support bot?" and received the answer
    When Alice asks in the same conversation "And what would that save in a year?"
    Then Alice is told she can save about $15,792.00 a year
    And the answer is about the "support-bot" feature only

  @critical
  Scenario: A question the assistant cannot help with gets a clear, polite answer
    When Alice asks "What's the weather like in Paris?"
    Then Alice sees every kind of progress, in order, ending with the answer within 5 seconds
    And Alice is told politely that the assistant can only help with AI spend

  @critical
  Scenario: Alice follows the assistant's stages, each naming the tool at work
    When Alice asks "How can we cut our model spend?"
    Then Alice sees the assistant work through these stages, in order:
      | stage                 | tool named        |
      | understanding her ask | triage            |
      | reading her usage     | usage_report      |
      | the savings analysis  | savings_optimizer |
      | the answer            |                   |

  @critical
  Scenario: The same question asked twice gets the same figures
    Given Alice has asked "How can we cut our model spend?" and received the answer
    When Alice asks the same question again in a new conversation
    Then Alice is told the same figures as the first time

  @critical @allure.issue:12
  Scenario: Regression: no step of an answer keeps Alice waiting more than a second
    When Alice asks "How can we cut our model spend?"
    Then each step reached Alice within 1 second of the one before, up to the answer

  @critical @fault @allure.issue:12
  Scenario: Regression: while her usage takes long to read, Alice still hears every second
    Given Alice's laptop is on a server where each read of usage data takes over a second
    When Alice asks "How can we cut our model spend?"
    Then each step reached Alice within 1 second of the one before, up to the answer

  @critical
  Scenario: Without any usage the assistant says there is nothing to analyse yet
    Given Bob has signed up and is signed in
    When Bob asks "How can we cut our model spend?"
    Then Bob is told his company spent $0.00 in the last 30 days
    And Bob is told to upload his usage first
