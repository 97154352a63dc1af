@ui @allure.label.epic:WebChat
Feature: Ask the assistant from a web page
  In order to find out how to cut our AI spend without installing anything
  As the person responsible for my company's AI budget
  I want to sign in, load our usage and ask the assistant in my browser

  Business value:
    Customers meet the product in their browser. The page is where they sign up, hand over their
    usage and watch the assistant work; if it breaks, loses a step or stays silent when the
    connection drops, the best answer in the world is never seen. These journeys are driven in a
    real browser, and the report shows what the customer saw at every check.

  Background:
    Given Alice has a file of her company's AI usage for the last month:
      | model         | feature         | requests | input tokens | output tokens | cost    |
      | gpt-4o        | support-bot     | 400000   | 320000000    | 60000000      | 1400.00 |
      | gpt-4o        | nightly-report  | 3000     | 30000000     | 6000000       | 135.00  |
      | claude-opus-4 | contract-review | 20000    | 100000000    | 10000000      | 2250.00 |

  @critical
  Scenario: Alice signs up, loads her usage and learns what she can save
    Given Alice has signed up in her browser
    And Alice has loaded her usage file in her browser
    When Alice asks "How can we cut our model spend?" in her browser
    Then Alice's browser shows every kind of progress, in order, ending with the answer within 15 seconds
    And Alice's browser tells her that her company spent $3,785.00 in the last 30 days
    And Alice's browser tells her she can save about $1,383.50 a month

  @critical
  Scenario: Alice finds the conversation in her history
    Given Alice has signed up in her browser and loaded her usage file
    And Alice has asked "How can we cut our model spend?" in her browser and received the answer
    When Alice opens the conversation "How can we cut our model spend?" from her history in her browser
    Then Alice's browser shows her question followed by the assistant's answer

  Scenario: Alice finds the conversation by searching for her own words
    Given Alice has signed up in her browser and loaded her usage file
    And Alice has asked "How can we cut our model spend?" in her browser and received the answer
    When Alice searches her conversations for "model spend" in her browser
    Then Alice's browser finds her question "How can we cut our model spend?"

  @critical
  Scenario: A follow-up question narrows the answer to one feature
    Given Alice has signed up in her browser and loaded her usage file
    And Alice has asked "How can we cut our model spend?" in her browser and received the answer
    When Alice asks in the same conversation "What about only the support bot?" in her browser
    Then Alice's browser tells her that her company spent $1,400.00 in the last 30 days
    And Alice's browser tells her she can save about $1,316.00 a month
    And the answer in Alice's browser is about the "support-bot" feature only

  Scenario: A wrong password is refused on the page
    Given Alice has signed up
    When Alice signs in with the password "not-her-password" in her browser
    Then Alice's browser tells her the email or password is not correct
    And Alice is still signed out in her browser

  @critical @server:slow_usage
  Scenario: Alice's connection drops mid-answer and the page catches up
    Given Alice has signed up in her browser and loaded her usage file
    And Alice has asked "How can we cut our model spend?" in her browser, and her usage is being read
    When Alice's browser loses its connection
    Then within 15 seconds Alice's browser is back on its own, showing every step once, in order, to the answer
    And Alice's browser tells her she can save about $1,383.50 a month

  @critical
  Scenario: Alice stays signed in when she reloads the page
    Given Alice has signed up in her browser
    When Alice reloads the page in her browser
    Then Alice's browser still shows her chat, signed in as herself

  @critical
  Scenario: A script on the page finds nothing that would let it sign in as Alice
    When Alice signs up in her browser
    Then Alice's browser keeps nothing a script on the page could read

  @critical
  Scenario: After signing out, reloading the page does not sign Alice back in
    Given Alice has signed up in her browser
    And Alice has signed out in her browser
    When Alice reloads the page in her browser
    Then Alice is still signed out in her browser

  Scenario: Alice signs out in one tab and her other tab tells her so
    Given Alice has signed up in her browser
    And Alice has the chat open in a second browser tab
    When Alice signs out in her first browser tab
    Then Alice's second browser tab tells her she has been signed out within 2 seconds

  # @embedded: passes that last a couple of seconds, on a server the suite starts.
  @embedded
  Scenario: Alice's pass runs out while the page is open, and the page renews it by itself
    Given Alice's browser is on a server whose passes last only a couple of seconds
    And Alice has signed up in her browser and loaded her usage file
    When Alice asks "How can we cut our model spend?" in her browser once her first pass has run out
    Then Alice's browser tells her she can save about $1,383.50 a month
    And Alice's browser never told her she had been signed out

  @fault
  Scenario: The service is briefly unavailable, the page says so and sends the question once it is back
    Given Alice has signed up in her browser and loaded her usage file
    And the database goes down for a while
    When Alice asks "How can we cut our model spend?" in her browser
    Then Alice's browser tells her the service is briefly unavailable
    And Alice's browser tells her she can save about $1,383.50 a month
