@allure.label.epic:AgentProgress @customer
Feature: Every way a question can end is clear, and nothing confirmed is lost
  In order to always know where my question stands
  As someone asking the assistant about my company's AI spend
  I want each question to end with an answer or a clear reason, and to keep what was done

  Business value:
    A question can end in five ways: answered; answered while its asker was away; a tool that
    fails; running out of time; the server being restarted. In every case the person must learn
    how it ended, find their question (and any answer) in their history, and be able to audit the
    steps taken. A spinner that never stops, or a question that silently vanishes, costs trust.

  Background:
    Given Alice has signed up and is signed in

  @critical
  Scenario: The assistant finishes, and the answer and its record are kept
    When Alice asks "How can we cut our model spend?"
    Then Alice gets the answer
    And the record of Alice's question lists every step she saw, in order, ending with the answer

  @critical @fault @server:slow_usage
  Scenario: Alice closes her laptop mid-answer; the assistant carries on and the answer waits for her
    Given Alice asked "How can we cut our model spend?" and her laptop lost its connection right away
    And the answer is already in Alice's history
    When Alice's laptop reconnects
    Then Alice's laptop catches up on every missed step, once each and in order, ending with the answer

  @critical @fault @server:impatient_usage
  Scenario: A tool that fails is reported clearly
    When Alice asks "How can we cut our model spend?"
    Then Alice is told the assistant could not read her usage data
    And the record of Alice's question shows the failed step

  @critical @fault @server:short_deadline
  Scenario: A question that runs out of time ends clearly and keeps the steps already done
    When Alice asks "How can we cut our model spend?"
    Then Alice is told the assistant ran out of time
    And the record of Alice's question keeps the steps finished before that

  @critical @fault @server:slow_usage
  Scenario: A server shut down mid-answer finishes it, and Alice gets it from another server
    Given Alice asked "How can we cut our model spend?" and her laptop saw her usage being read
    When the server Alice's laptop is on is shut down for maintenance
    Then Alice's laptop is told the server is going away
    And Alice's laptop gets the answer after reconnecting to the first server
    And Alice's history holds her question and the answer

  @critical @fault @server:short_drain
  Scenario: A server shut down before it can finish; Alice learns her question was interrupted
    Given Alice asked "How can we cut our model spend?" and her laptop saw her usage being read
    When the server Alice's laptop is on is shut down for maintenance
    Then Alice's laptop is told the server is going away
    And Alice's laptop, back on the first server, learns she may ask the interrupted question again
    And Alice's history still holds her question
