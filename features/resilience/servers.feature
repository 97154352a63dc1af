@allure.label.epic:Resilience @fault @customer
Feature: A server that crashes or starts at a bad moment leaves nobody hanging
  In order to trust that a question I asked is never silently dropped
  As a customer
  I want my answer even when the server working on it crashes, and new servers to join only
  once they can actually serve me

  Business value:
    We run several servers so that one crashing is a non-event. A crash mid-answer must not leave
    the customer waiting forever, nor make them ask again: another server notices and carries the
    answer on from the last stage finished, well within the minute an answer may take. A server
    started while the database is down must wait and join by itself when it can serve, rather
    than crash or take questions it cannot store.

  @critical @allure.issue:21
  Scenario: When the server working on Alice's answer crashes, another finishes it from where it was
    Given our servers take over a question after 2 seconds without word from its server
    And Alice has signed up and is signed in
    And a second server is working on Alice's question "How can we cut our model spend?"
    When that server crashes
    Then Alice, back on another server, gets her answer within 60 seconds of asking
    And Alice saw each stage of her answer once: none was done again after the crash
    And Alice's conversation holds her question once, followed by one answer

  Scenario: A server started while the database is down waits, then serves once it is back
    Given Alice has signed up and is signed in
    And the database is down
    When a new server starts
    Then the new server says it is not ready, and keeps running
    And once the database is back, the new server becomes ready by itself within 10 seconds
    And Alice can ask the new server "How can we cut our model spend?" and get an answer

  Scenario: A server started while the session cache is unreachable serves people right away
    Given Alice has signed up and is signed in
    And the session cache is unreachable
    When a new server starts
    Then the new server is ready at once, with the session cache degraded
    And Alice can ask the new server "How can we cut our model spend?" and get an answer
    And once the session cache is back, the new server reports it healthy by itself within 5 seconds

  Scenario: A server that stops responding mid-answer is replaced, and stands down when it wakes
    Given our servers take over a question after 2 seconds without word from its server
    And Alice has signed up and is signed in
    And a second server is working on Alice's question "How can we cut our model spend?"
    When that server stops responding
    Then Alice, back on another server, gets her answer within 60 seconds of asking
    And once that server responds again, it stands down without adding anything to her question
