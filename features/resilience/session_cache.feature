@allure.label.epic:Resilience @fault @customer
Feature: The session cache can fail without stopping anyone
  In order to keep working with the assistant when part of our infrastructure fails
  As a customer
  I want to sign in and chat as usual while the session cache is unreachable, stalled or restarted

  Business value:
    The session cache speeds up sign-in checks and carries live progress between our servers, but
    it holds nothing that cannot be rebuilt. Customers must not notice when it fails: sign-in and
    the chat keep working at normal speed, protections such as the lock after wrong passwords keep
    holding, and everything recovers by itself when the cache is back, with nothing forgotten.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company has a month of AI usage on record

  @critical @direct
  Scenario: Alice signs in and gets her answer while the session cache is unreachable
    Given the session cache is unreachable
    When Alice signs in and puts the question "How can we cut our model spend?" to the assistant
    Then each of these took Alice at most 1.5 seconds
    And Alice is told she can save about $1,383.50 a month
    And the service says it is ready, with the session cache degraded

  Scenario: Alice keeps chatting when the session cache goes away mid-conversation
    Given Alice has the chat open
    And the session cache is unreachable
    When Alice asks "How can we cut our model spend?"
    Then Alice is told she can save about $1,383.50 a month
    And Alice never saw an error

  @critical @direct
  Scenario: Wrong passwords still lock the account while the session cache is unreachable
    Given the session cache is unreachable
    When Mallory tries 5 wrong passwords on Alice's account
    Then even Alice's right password is refused for now, and she is told to wait about 15 minutes

  @critical @direct
  Scenario Outline: A stalled session cache adds at most about a second to each step, and heals itself
    Given Alice's usual routine was timed while all was well
    And the session cache <trouble> for a while
    When Alice signs in and puts the question "How can we cut our model spend?" to the assistant
    Then each of these took Alice at most about a second longer than usual
    And all of it together took Alice at most about a second longer than usual
    And Alice is told she can save about $1,383.50 a month
    And once the session cache responds again, the service reports it healthy within 5 seconds

    Examples:
      | trouble                |
      | stops responding       |
      | swallows every message |

  Scenario: Live progress between servers comes back by itself after their link was down
    Given Alice has the chat open on her laptop and her phone, each on a different server
    And the link carrying live progress between servers was down for a while and is back
    When Alice asks on her phone "How can we cut our model spend?"
    Then Alice's laptop shows every step of the answer too

  @critical @allure.issue:10
  Scenario: A sign-out reaches the other servers in time despite a session cache failure and a crash
    Given Alice has the chat open on her laptop and her phone, each on a different server
    When Alice signs out on her phone while the session cache fails, and that server then crashes
    Then Alice's laptop is closed within 2 seconds, asking her to sign in again
    And from 2 seconds after signing out, Alice's old pass is refused every time for the next 2 seconds

  @critical
  Scenario: After the session cache restarts empty, no question, answer or sign-out is forgotten
    Given Alice has asked "How can we cut our model spend?" and received the answer
    And Carol has signed up and is signed in
    And Carol has signed out
    When the session cache restarts and loses everything it held
    Then Alice's conversation holds her question once, followed by one answer
    And Alice can ask "What about only the support bot?" and get an answer
    And Carol's old pass still does not open the chat

  @critical @allure.issue:12
  Scenario: Regression: the chat opens while the session cache is unreachable
    Given the session cache is unreachable for a while
    When Alice keeps opening the chat until the session cache is back
    Then Alice's chat opened every time
