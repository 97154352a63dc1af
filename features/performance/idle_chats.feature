@allure.label.epic:Performance @performance @slow @allure.issue:19
Feature: A thousand chats left open all day stay open and cost the service little
  In order to leave the assistant open in every tab and on every device all day
  As a customer with many tabs open
  I want each of my chats to stay open and answer at once, while other customers ask

  Business value:
    People keep the chat open in several tabs and on several devices all day, so a server holds
    many more open chats than people asking: the product promises 10,000 open chats on one
    server, each costing it at most 30 KB of memory, every one still open and answering at the
    end, while other customers are answered as usual. Here a thousand open chats (fifty
    customers with twenty tabs each) hold the same promise in seconds.

  # @embedded: the service's memory is read from its process.
  @embedded
  Scenario: A thousand idle chats stay open and answer at once while other customers ask
    Given 70 customers of different companies have signed up, each with their own usage
    And the service's memory is being watched
    And 50 of them keep 20 chats open each, without asking
    And the other 20 have the chat open
    When they all ask the assistant about their spend at the same time
    Then every one of them is told their own company's spend, 20 in 20 within the time promised when 1000 ask at once
    And every one of the 1000 idle chats is still open and answers within 5 seconds
    And the idle chats cost the service less than 30 KB each
