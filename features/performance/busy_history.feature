@allure.label.epic:Performance @performance @allure.issue:9
Feature: A long history opens at once
  In order to find what the assistant told me weeks ago
  As a customer who uses the assistant every day
  I want my conversations, each conversation and my searches to answer without a wait, however long my history has grown

  Business value:
    The customers who ask most are the ones who pay most. If their history grows slow as it
    grows long, the product punishes its best users. The promise: with 1,000 conversations,
    the history, a conversation and a search each answer in under 100 milliseconds, and
    still quickly while three hundred other customers are asking the assistant.

  # @embedded: the 1,000 conversations are copied in the database (features/performance/README.md).
  @embedded
  Scenario: The history of a busy account opens in under 100 milliseconds
    Given Alice has had 1,000 conversations with the assistant
    When Alice opens her conversation history 20 times
    Then it opens in under 100 milliseconds, 19 times in 20
    And it lists her latest conversation first

  # @embedded: the 1,000 conversations are copied in the database (features/performance/README.md).
  @embedded
  Scenario: A conversation of a busy account opens in under 100 milliseconds
    Given Alice has had 1,000 conversations with the assistant
    When Alice opens her latest conversation 20 times
    Then it opens in under 100 milliseconds, 19 times in 20

  # @embedded: the 1,000 conversations are copied in the database (features/performance/README.md).
  @embedded
  Scenario: Searching a busy account's history answers in under 100 milliseconds
    Given Alice has had 1,000 conversations with the assistant
    When Alice searches her history for "model spend" 20 times
    Then it answers in under 100 milliseconds, 19 times in 20
    And Alice finds her question "How can we cut our model spend?"

  # Three hundred, not one: a hundred were answered before Alice's sixty reads were done (issue
  # 19, fifth round), then two hundred (sixth round: 47 % of her reads while they waited), and the
  # reads must be timed while people are still waiting.
  # The shared test machine runs the service, its database and the customers together:
  # the reads are held to a stated multiple of the promise there, and the promise itself is
  # judged where the service has a machine of its own.
  # @embedded: the 1,000 conversations are copied in the database.
  @embedded @slow
  Scenario: A busy account's history, conversation and search stay quick while three hundred customers ask
    Given Alice has had 1,000 conversations with the assistant
    And 300 customers of different companies have the chat open, each with their own usage
    When they all ask the assistant about their spend while Alice opens her history, her latest conversation and searches for "model spend", 20 times each
    Then Alice's history, her conversation and her search each answered within 10 times the 100 milliseconds promised, 19 times in 20, while they were asking
    And each of them sees only their own progress and is told their own company's spend
