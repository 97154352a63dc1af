@allure.label.epic:AgentProgress @allure.issue:9
Feature: When the assistant is busy, a question waits its turn or is clearly refused
  In order to trust the assistant on its busiest day
  As a customer asking about my company's AI spend
  I want to be told when my question has to wait, and never to lose it to the crowd

  Business value:
    On a busy morning a thousand people may ask at once. Each server works on a bounded number
    of questions and keeps a bounded line: a question that has to wait is accepted, its asker is
    told their place in line at once, and the answer follows in turn. A question beyond what the
    line can hold is refused straight away, saying when to ask again, and nothing of it is kept,
    so asking again is safe. Nobody's question fails or vanishes because the service is busy.

  Background:
    Given Alice has signed up and is signed in
    And Alice's laptop is on a server where one question is answered at a time and one more may wait

  @critical @embedded
  Scenario: A customer who has to wait is told her place in line, then gets her answer
    Given 1 other customer asked there just before Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Alice is told she is number 1 in line, and then gets the answer

  @critical @embedded
  Scenario: When even the line is full, a customer is told to ask again shortly, and nothing is kept
    Given 2 other customers asked there just before Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Alice is told the assistant is busy and when to ask again
    And nothing of Alice's question was kept
