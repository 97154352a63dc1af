@allure.label.epic:Performance @performance @allure.issue:9
Feature: A long history opens at once
  In order to find what the assistant told me weeks ago
  As a customer who uses the assistant every day
  I want my list of conversations to open without a wait, however long it has grown

  Business value:
    The customers who ask most are the ones who pay most. If their history grows slow as it
    grows long, the product punishes its best users. The promise: a history of 1,000
    conversations opens in under 100 milliseconds.

  @embedded
  Scenario: The history of a busy account opens in under 100 milliseconds
    Given Alice has had 1,000 conversations with the assistant
    When Alice opens her conversation history 20 times
    Then it opens in under 100 milliseconds, 19 times in 20
    And it lists her latest conversation first
