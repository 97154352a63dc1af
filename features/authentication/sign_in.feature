@allure.label.epic:Authentication @customer
Feature: Signing in
  In order to keep my company's spending data private
  As a customer of the AI spend assistant
  I want only people with a valid pass to reach the assistant

  Business value:
    Customers trust us with their AI bills; one account reachable without a valid pass would end
    that trust. Sign-up and sign-in are also the first minute of every new customer's journey:
    they must just work.

  @critical
  Scenario: Alice signs up and signs in
    Given Alice has signed up
    When Alice signs in with her password
    Then Alice is recognised as herself

  @critical
  Scenario: A wrong password is refused
    Given Alice has signed up
    When Alice signs in with the password "not-her-password"
    Then Alice is refused because the email or password is not correct

  @critical @real_password_cost
  Scenario: An unknown email gets the same answer as a wrong password
    Given Alice has signed up
    When Mallory signs in as "nobody-here@example.com", each time Alice signs in with a wrong password
    Then Mallory is refused because the email or password is not correct
    And Mallory is told exactly what Alice is told, in about the same time

  Scenario: The same email cannot be registered twice
    Given Alice has signed up
    When someone else signs up with Alice's email
    Then the sign-up is refused because the account already exists

  @critical
  Scenario: Two sign-ups with the same email at the same moment make one account
    When Alice signs up twice at the same moment, from two devices with two different passwords
    Then exactly one sign-up makes her account, and the other is refused because the account already exists
    And only the password of the sign-up that made the account lets Alice in

  @critical
  Scenario Outline: A weak password is refused at sign-up, saying why
    When Alice signs up with <a weak password>
    Then the sign-up is refused because <why>
    And Alice has no account yet

    Examples:
      | a weak password                         | why                                    |
      | a password of 7 characters              | it is too short                        |
      | one of the most common passwords        | it is one of the most common passwords |
      | a password containing her email address | it contains her email address          |
      | a password of one character repeated    | it is one character repeated           |

  @critical
  Scenario Outline: Someone without a valid pass cannot open the chat
    When Mallory opens the chat <with what>
    Then Mallory is turned away before the chat opens, because <reason>

    Examples: Passes anyone could show
      | with what                          | reason                |
      | without a pass                     | no pass was shown     |
      | with a made-up pass                | the pass is not valid |
      | with a pass signed by someone else | the pass is not valid |

    @signing_key
    Examples: Passes only our own signing key could make
      | with what                    | reason               |
      | with a pass that has expired | the pass has expired |
