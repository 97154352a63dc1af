@allure.label.epic:Conversation @customer
Feature: Behind one address, Alice's devices reach different servers and miss nothing
  In order to use the assistant on all my devices at once, and come back after a dropped line
  As someone who uses the assistant on several devices
  I want each device to follow my questions whichever of your servers it is sent to

  Business value:
    In production our servers stand behind a load balancer: people know one address, and each
    of their devices may be sent to any server, again on every reconnect. This is where a phone
    that never sees a question asked on the laptop, or a reconnect that repeats or skips a step,
    would show, so it is tried with the balancer and its settings as we ship them.

  Background:
    Given Alice has signed up and is signed in

  @critical @balancer
  Scenario: Alice's laptop and phone reach different servers, and the phone follows her question
    Given Alice's laptop and phone are open on different servers
    When Alice asks "How can we cut our model spend?"
    Then Alice's phone sees every step, in order, ending with the answer

  @critical @balancer
  Scenario: Alice's laptop loses its connection mid-answer and catches up on another server
    Given Alice asked "How can we cut our model spend?" and her laptop lost its connection right away
    And the assistant has since started reading Alice's usage
    When Alice's laptop reconnects and reaches another server than before
    Then Alice's laptop catches up on the several steps it missed, once each and in order
    And Alice's laptop then follows the assistant live until the answer
