@allure.label.epic:Performance @performance @slow @operator @allure.issue:21
Feature: Once customers leave, the service holds nothing for them
  In order to run the assistant for months without restarting it
  As the team running the assistant
  I want every chat, question, chat place and database connection given back when customers leave

  Business value:
    A service that keeps a little of every visit (a chat place, a connection, a note in the
    shared cache) runs out of something after enough visits, and the customers who come then
    are turned away. The operators' figures must show everything back where it was once the
    customers have gone, and nothing about them may be kept for good.

  # On a server of its own (the tag), so its figures are this crowd's alone.
  # @embedded: what the shared cache keeps per person is read there, not through the service.
  @embedded @direct @server:second
  Scenario: A hundred customers visit and leave, and every figure is back where it was
    Given 100 customers of different companies have signed up, each with their own usage
    When they all open the chat, ask about their spend and leave once answered, the operator watching
    Then while they were there, the operator saw 100 chats open and 100 chat places held
    And within 5 seconds of their leaving, the operator sees no chat open, no question running or waiting, and no chat place held
    And within 5 seconds of their leaving, the operator sees no database connection in use, and no more open than the service keeps when idle
    And whatever the service still keeps about them lapses by itself, and none of their chat places is kept
