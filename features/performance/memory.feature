@allure.label.epic:Performance @performance @slow @allure.issue:9
Feature: Open chats cost the service little memory, and it gives it back
  In order to keep the assistant available as more customers use it
  As the company that runs it
  I want each open chat to cost the service far less than its 500 MB budget, and nothing to stay behind

  Business value:
    Memory is what a server runs out of first. The budget is 500 MB per open chat; a service that
    needs a fraction of it serves many customers per server, and one that gives memory back when
    they leave does not slowly run out of it as customers come and go.

  # @embedded: the service's memory is read from its process.
  @embedded
  Scenario: A hundred open chats cost the service little memory, returned when they leave
    Given 100 customers of different companies have signed up, each with their own usage
    And the service's memory is being watched
    When they all open the chat, ask about their spend and leave once answered
    Then while they were there, the service needed less than 5 MB for each open chat
    And after they left, the service's memory went back to within 50 MB of where it was
