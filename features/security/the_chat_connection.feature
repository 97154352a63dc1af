@allure.label.epic:Security @customer
Feature: The chat connection defends itself
  In order to keep the assistant fast and safe for everyone
  As a customer of the AI spend assistant
  I want the chat to refuse pages that are not ours, garbage and floods without falling over

  Business value:
    The chat is open to the internet. A page on someone else's site must not be able to use a
    customer's signed-in browser to open it; a client sending garbage must get an explanation and
    keep working; one that keeps sending garbage, oversized messages or a flood of questions is
    cut off before it slows the assistant down for other customers.

  @critical @own_web_app
  Scenario Outline: The chat opens only from our own web app
    Given the chat trusts only our own web app
    And Mallory has signed up and is signed in
    When a page on <a site> tries to open the chat in Mallory's signed-in browser
    Then Mallory is turned away before the chat opens, because the page is not ours

    Examples:
      | a site                                                  |
      | a site of someone else                                  |
      | a sandboxed page that hides where it comes from         |
      | a look-alike address that ends in someone else's domain |
      | a look-alike address with a dash instead of a dot       |
      | another address under our domain                        |
      | our own address without encryption                      |
      | our own address on another port                         |

  @own_web_app
  Scenario: Our own web app opens the chat
    Given the chat trusts only our own web app
    And Alice has signed up and is signed in
    When a page on our own web app tries to open the chat in Alice's signed-in browser
    Then Alice's chat is open

  @critical
  Scenario: An app that shows its pass as a browser does but does not name our chat's version is turned away, and the pass is never written down
    Given Mallory has signed up and is signed in
    When Mallory's app asks to open the chat, showing her pass as a browser does but without naming the chat's version
    Then Mallory is turned away before the chat opens, because the chat's version was not named
    And Mallory's pass appears nowhere in what our servers wrote down

  @own_web_app
  Scenario: Our own web app may read a customer's conversation history from her browser
    Given the chat trusts only our own web app
    And Alice has signed up and is signed in
    When a page on our own web app asks Alice's signed-in browser for her conversation history
    Then the browser lets the page read it

  @critical @own_web_app
  Scenario Outline: A page on another site may not read a customer's conversation history
    Given the chat trusts only our own web app
    And Mallory has signed up and is signed in
    When a page on <a site> asks Mallory's signed-in browser for her conversation history
    Then the browser withholds it from the page, because the page is not ours

    Examples:
      | a site                                                  |
      | a site of someone else                                  |
      | a look-alike address that ends in someone else's domain |
      | our own address without encryption                      |

  @critical
  Scenario: A message over 64 KiB closes the chat as too large
    Given Mallory has signed up and is signed in
    When Mallory sends a message larger than 64 KiB
    Then Mallory's chat is closed because the message was too large

  Scenario Outline: A garbled message gets an explanation and the chat keeps working
    Given Mallory has signed up and is signed in
    When Mallory sends <a garbled message>
    Then Mallory is told <what is wrong>
    And Mallory's chat still answers her
    And nothing Mallory sent was kept

    Examples:
      | a garbled message                             | what is wrong                      |
      | half a message                                | the message cannot be read         |
      | a message that is not text                    | the message is incomplete or wrong |
      | a request of a kind that does not exist       | the request is of an unknown kind  |
      | a question without its reference              | the message is incomplete or wrong |
      | a question whose words are a number           | the message is incomplete or wrong |
      | a question hiding an invisible null character | the message is incomplete or wrong |
      | a number too large to store                   | the message cannot be read         |
      | a list instead of a request                   | the message is incomplete or wrong |
      | a request nested a thousand levels deep       | the message cannot be read         |
      | a question longer than the assistant reads    | the message is incomplete or wrong |

  @critical
  Scenario: More than 10 garbled messages in a minute close the chat, after explaining each
    Given Mallory has signed up and is signed in
    When Mallory sends 11 garbled messages in a row
    Then Mallory is told what was wrong with each of the 11 messages
    And then Mallory's chat is closed for breaking the rules

  @critical
  Scenario: A flood of questions is slowed down, then cut off, while Bob's chat stays fast
    Given Mallory has signed up and is signed in
    And Bob has signed up and is signed in
    When Mallory floods the chat with 40 questions while Bob is asking "How can we cut our model spend?"
    Then Mallory is told to slow down, and then her chat is closed for flooding
    And Bob sees the assistant start working within 2 seconds

  @critical
  Scenario: A flood of checks that the chat is still connected is slowed down, then cut off
    Given Mallory has signed up and is signed in
    And Bob has signed up and is signed in
    When Mallory's app floods the chat with 200 checks that it is still connected while Bob is asking "How can we cut our model spend?"
    Then Mallory's app is answered 30 times at most, told to slow down, and then her chat is closed for flooding
    And Bob sees the assistant start working within 2 seconds

  @critical @two_servers @nothing_lost
  Scenario: Mallory may hold only so many chats open, on all our servers together
    Given Mallory has signed up and is signed in
    And Mallory has 20 chats open, spread over two servers
    When Mallory tries to open one more chat
    Then Mallory is turned away before the chat opens, because she has too many chats open

  @two_servers @nothing_lost
  Scenario: A flood of questions spread over several chats is slowed down as one
    Given Mallory has signed up and is signed in
    And Mallory has 4 chats open, spread over two servers
    When Mallory sends 10 questions on each of her chats at once
    Then only about 10 of Mallory's questions are taken, and she is told to slow down for the others

  @critical
  Scenario: Asking to catch up on hundreds of conversations at once is slowed down
    Given Mallory has signed up and is signed in
    When Mallory's app asks 4 times in a row to catch up on 50 conversations that do not exist
    Then Mallory is told there is no such conversation for the first 100, and to slow down for the rest
