@allure.label.epic:Conversation @customer
Feature: A question sent twice is answered once
  In order to never be charged for, or read, the same answer twice
  As someone asking the assistant over an unreliable connection
  I want to send my question again whenever I am not sure it arrived

  Business value:
    Apps resend a question when they do not hear back, and a lost confirmation looks exactly like
    a lost question. If a resend started a second run, people would see duplicate answers in
    their history and we would pay twice for the work. Each question carries its own identity,
    so a resend is recognised and answered with the confirmation of the original.

  Background:
    Given Alice has signed up and is signed in

  @critical
  Scenario: Alice sends her question again after losing the connection before it was confirmed
    Given Alice asked "How can we cut our model spend?" but lost the connection before it was confirmed
    When Alice reconnects and sends the same question again
    Then Alice is told the question had already arrived
    And Alice gets the answer
    And Alice's conversation holds her question once, followed by one answer

  @critical
  Scenario: Alice's app sends a question twice and the assistant works on it once
    Given Alice has asked "How can we cut our model spend?" and received the answer
    When Alice sends the same question again
    Then Alice is told the question had already arrived, with the same confirmation as before
    And Alice's conversation holds her question once, followed by one answer
