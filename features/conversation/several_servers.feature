@allure.label.epic:Conversation @customer
Feature: The chat follows Alice across devices, whichever server each one reaches
  In order to start a question on my laptop and follow it on my phone
  As someone who uses the assistant on several devices
  I want every device to show every step, whichever of our servers it is connected to

  Business value:
    We run several servers so that one can be restarted or lost without anyone noticing. That
    only holds if a device sees every step of a question wherever it was asked, and can move to
    another server in the middle of an answer and pick up exactly where it was.

  Background:
    Given Alice has signed up and is signed in

  @critical @two_servers @nothing_lost
  Scenario: Alice's phone on another server follows a question asked on her laptop
    Given Alice's phone is on a second server
    And Alice's phone is open
    When Alice asks "How can we cut our model spend?"
    Then Alice's phone sees every step, in order, ending with the answer

  @critical @fault @server:slow_usage
  Scenario: Alice's laptop moves to another server mid-answer and picks up there
    Given Alice asked "How can we cut our model spend?" and her laptop lost its connection right away
    And the assistant has since started reading Alice's usage
    When Alice's laptop reconnects to the first server
    Then Alice's laptop catches up on the several steps it missed, once each and in order
    And Alice's laptop then follows the assistant live until the answer
