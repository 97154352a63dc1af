@allure.label.epic:Performance @performance @slow @allure.issue:21
Feature: After a rush bigger than the line can hold, the assistant is soon back to its usual speed
  In order to rely on the assistant right after the busiest moment of the day
  As a customer who asks just after a rush
  I want the assistant back to its usual speed within seconds, and nobody's question lost

  Business value:
    A newsletter or the start of the working day brings more questions at once than a server
    can work on or keep waiting. Those beyond its line are told to ask again shortly, and those
    it took are answered in turn. What must never happen is a server that stays slow, or keeps
    refusing, once the rush has passed: within 10 seconds a new question starts as fast as on
    a quiet day (the usual time is the promise for a hundred people at once, written down once
    for this suite and the load test: docs/capacity.md), and every question it took is answered.

  Background:
    Given Alice has signed up and is signed in

  @server:short_line
  Scenario: Ten seconds after a rush bigger than the line, a new question starts as fast as usual
    Given 20 other customers have the chat open on the same server as Alice
    When they all ask the assistant at the same moment, more than it can take
    Then within 10 seconds of that rush, the assistant starts on Alice's questions as fast as usual
    And every question it took from the rush was answered, the others were told to ask again, and nothing was lost
