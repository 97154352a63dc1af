@allure.label.epic:AgentProgress @operator
Feature: A device that cannot keep up is let go, and catches up when it returns
  In order to keep the assistant fast for everyone
  As the team running the assistant
  I want a device that stops taking in messages to be let go instead of piling up messages for it

  Business value:
    A phone on a poor connection that stops taking in messages must not make the service hold an
    ever-growing pile of messages for it: that memory is shared by every customer. The phone is
    let go with a clear reason, and when it comes back it catches up on everything it missed, so
    letting it go costs its owner nothing.

  @critical @fault @server:small_buffers
  Scenario: Alice's stalled phone is let go, then catches up on every answer without loss
    Given Alice has signed up and is signed in
    And Alice's phone is open on a poor connection that lets nothing through
    And Alice has asked 8 questions on her laptop and received every answer
    When Alice's phone gets through again
    Then Alice's phone is told it fell too far behind
    And Alice's phone has every answer Alice got, each step once and in order, after reconnecting
