@allure.label.epic:AgentProgress @allure.issue:9
Feature: When the assistant is busy, a question waits its turn or is clearly refused
  In order to trust the assistant on its busiest day
  As a customer asking about my company's AI spend
  I want to be told when my question has to wait, and never to lose it to the crowd

  Business value:
    On a busy morning a thousand people may ask at once. Each server works on a bounded number
    of questions and keeps a bounded line: a question that has to wait is accepted, its asker is
    told their place in line at once, and again at least once a second as the line moves (nobody
    waits in silence), and the answer follows in turn. A question beyond what the line can hold
    is refused straight away, saying when to ask again, and nothing of it is kept, so asking
    again is safe. Nobody's question fails or vanishes because the service is busy.
    The line is fair: customers' waiting questions take turns, a customer with nothing in
    progress goes first, and nobody may take more than a share of the line, so one customer
    flooding the assistant cannot hold everyone else back (a question takes about half a second
    on the servers below, about a second on the last one's).

  Background:
    Given Alice has signed up and is signed in

  @critical @server:one_at_a_time
  Scenario: A customer who has to wait is told her place in line, then gets her answer
    Given 1 other customer asked just before Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Alice is told she is number 1 in line, and then gets the answer

  @critical @server:one_at_a_time
  Scenario: When even the line is full, a customer is told to ask again shortly, and nothing is kept
    Given 2 other customers asked just before Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Alice is told the assistant is busy and when to ask again
    And nothing of Alice's question was kept

  @critical @allure.issue:18 @server:fair_line
  Scenario: While Mallory floods the assistant with questions, Alice's question is answered within the normal time
    Given Mallory has just asked the assistant 7 questions at once, on the same server as Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Alice gets the answer within 2 seconds of asking
    And all of Mallory's questions that were taken are answered as well

  @critical @allure.issue:18 @server:fair_line
  Scenario: One customer cannot fill the line: her questions beyond her share are refused, and others still get in
    Given Mallory has just asked the assistant 9 questions at once, on the same server as Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Mallory was told the assistant is busy for 2 of her questions
    And Alice is told she is number 1 in line, and then gets the answer
    And all of Mallory's questions that were taken are answered as well

  @performance @allure.issue:19 @server:slow_fair_line
  Scenario: A customer several places back in line hears her place at least every second as it moves
    Given 4 other customers asked just before Alice
    When Alice asks "How can we cut our model spend?" while the assistant is that busy
    Then Alice hears her place in line at least once a second, never further back, until the assistant starts on her question and answers it
