@allure.label.epic:Performance @allure.issue:9
Feature: Operators see how busy the service is and what it refuses
  In order to spot trouble before customers feel it
  As an operator of the chat service
  I want live figures: open chats, questions waiting and running, answers, refusals by reason

  Business value:
    On a busy day the operator decides when to add servers and must see a fault before the
    customers do. The service's figures, read by the usual monitoring tools, count open chats,
    questions running and waiting in line, answers and how long they took, and every refusal
    by its reason. Figures that do not move with what customers do would hide an outage.

  Background:
    Given the operator has noted the service's figures

  Scenario: The figures follow a customer's question to its answer
    Given Alice has signed up and is signed in
    When Alice asks "How can we cut our model spend?"
    Then Alice gets the answer
    And the operator sees one more answer, one more finished question and one more first step
    And the operator sees Alice's chat among the open chats

  Scenario: Every garbled message is counted as a refusal
    Given Mallory has signed up and is signed in
    When Mallory sends 3 garbled messages in a row
    Then the operator sees 3 more refusals of garbled messages
