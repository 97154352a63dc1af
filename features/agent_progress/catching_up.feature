@allure.label.epic:AgentProgress @customer
Feature: Catch up on exactly what was missed after a dropped connection
  In order to trust what the assistant shows me on a train or on flaky Wi-Fi
  As someone asking the assistant about my company's AI spend
  I want every step I missed while offline, once each and in order, then the rest as it happens

  Business value:
    People follow the assistant from laptops and phones on networks that drop. If a dropped
    connection loses a step, shows one twice or shows them out of order, people stop trusting the
    figures. Catching up exactly, from whichever copy of the record still holds the steps, means a
    flaky network never changes what they see; when the gap cannot be filled exactly they are
    asked to reload rather than shown a partial story.

  Background:
    Given Alice has signed up and is signed in

  @critical @fault @server:slow_usage
  Scenario: Alice's laptop drops mid-answer and catches up on the several steps it missed
    Given Alice asked "How can we cut our model spend?" and her laptop lost its connection right away
    And the assistant has since started reading Alice's usage
    When Alice's laptop reconnects
    Then Alice's laptop catches up on the several steps it missed, once each and in order
    And Alice's laptop then follows the assistant live until the answer

  @critical @fault @server:slow_usage
  Scenario: Alice's laptop reconnects having missed nothing and simply carries on
    Given Alice asked "How can we cut our model spend?" and her laptop saw the assistant start checking it
    When Alice's laptop reconnects
    Then Alice's laptop is sent nothing it had already seen
    And Alice's laptop then follows the assistant live until the answer

  @critical @fault
  Scenario Outline: After a long time away, the laptop still catches up on every step it missed
    Given Alice's laptop is open
    And Alice's laptop went offline
    And Alice has asked "How can we cut our model spend?" on her phone and received the answer
    And Alice's laptop stayed away past the <limit> of what is kept for a quick catch-up
    When Alice's laptop reconnects
    Then Alice's laptop catches up on every missed step, once each and in order, ending with the answer

    Examples:
      | limit      |
      | time limit |
      | size limit |

  Scenario: Catching up on a question that does not exist is refused and shows nothing
    When Alice's app asks to catch up on a question that does not exist
    Then Alice is told there is no such question to catch up on
    And Alice is sent no steps

  Scenario: A device that claims to have seen more steps than there were is asked to reload
    Given Alice has asked "How can we cut our model spend?" and received the answer
    When Alice's laptop reconnects claiming more steps than the assistant took
    Then Alice's laptop is asked to reload the conversation
    And Alice is sent no steps
