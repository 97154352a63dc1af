@allure.label.epic:Authentication @customer @real_password_cost
Feature: Guessing passwords does not work
  In order to keep my account safe even if my password is not the strongest
  As a customer of the AI spend assistant
  I want repeated wrong passwords to lock my account for a while, without locking anyone else

  Business value:
    Attackers try lists of common passwords against known email addresses. After five wrong
    passwords in fifteen minutes an account accepts no password at all, not even the right one,
    until the time is up, which makes guessing hopeless. Other customers sign in as usual, and
    the person locked out is told how long to wait.

  @critical
  Scenario: Five wrong passwords lock Alice's account, even against her right password
    Given Alice has signed up
    When Mallory tries 5 wrong passwords on Alice's account
    Then even Alice's right password is refused for now, and she is told to wait about 15 minutes

  @critical
  Scenario: Bob signs in as usual while Alice's account is locked
    Given Alice has signed up
    And Bob has signed up
    And Mallory has tried 5 wrong passwords on Alice's account
    When Bob signs in with his password
    Then Bob is recognised as himself

  Scenario: Four mistakes are forgiven
    Given Alice has signed up
    When Alice mistypes her password 4 times and then types it right
    Then Alice is recognised as herself

  # @embedded: a lock of 2 seconds, on a server the suite starts (a deployment locks for minutes).
  @critical @embedded
  Scenario: The lock lifts once the waiting time has passed
    Given sign-in locks an account for 2 seconds after 5 wrong passwords
    And Alice has signed up
    When Mallory tries 5 wrong passwords on Alice's account
    Then even Alice's right password is refused for now, and she is told to wait about 2 seconds
    And Alice can sign in with her password again within 3 seconds
