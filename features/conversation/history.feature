@allure.label.epic:Conversation @customer
Feature: Earlier conversations, in order, and only one's own
  In order to pick up where I left off and to find what the assistant told me
  As someone who asks the assistant about our AI spend every week
  I want my conversations newest first, each in the order it was written, and a search of my own words

  Business value:
    The history is where people go back to the figures they were given and share them with
    their finance team. It must be in the order things happened, and a search must find their
    own words and never another company's.

  Background:
    Given Alice has signed up and is signed in

  @critical
  Scenario: Conversations are listed newest first
    Given Alice has asked "Which model costs us the most?" and received the answer
    And Alice has asked "How can we cut our model spend?" and received the answer
    And Alice has asked "What about only the support bot?" and received the answer
    When Alice opens her conversation history
    Then Alice's conversations are listed newest first:
      | title                            |
      | What about only the support bot? |
      | How can we cut our model spend?  |
      | Which model costs us the most?   |

  Scenario: Asking for more conversations at once than fit on one page is refused, saying how many fit
    When Alice asks to see 1000 of her conversations at once
    Then Alice is told she may see at most 200 at a time

  Scenario: A conversation keeps every message in the order it was written
    Given Alice has asked "How can we cut our model spend?" and received the answer
    And Alice has asked in the same conversation "What about only the support bot?" and received the answer
    When Alice reopens the conversation
    Then it holds her questions, each followed by its answer, in the order they were written

  @critical
  Scenario: Alice comes back on her phone and continues her earlier conversation
    Given Alice's company has a month of AI usage on record
    And Alice has asked "How can we cut our model spend?" and received the answer
    And Alice has signed in again on her phone
    When Alice continues her latest conversation on her phone with "What about only the support bot?"
    Then the assistant takes it as a follow-up to Alice's earlier question
    And Alice is told she can save about $1,316.00 a month
    And Alice's conversation holds 2 questions, each followed by its answer

  @critical
  Scenario: Searching finds Alice's own words and never another company's
    Given Alice has asked "How much do embeddings cost us?" and received the answer
    And Bob has signed up and is signed in
    And Bob has asked "How much do embeddings cost us?" and received the answer
    When Alice searches her conversations for "embeddings"
    Then Alice finds her question "How much do embeddings cost us?"
    And none of what Alice finds is Bob's
