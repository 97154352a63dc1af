@allure.label.epic:Authentication @customer
Feature: Staying signed in, and signing out
  In order to keep my account safe on shared, lost and stolen devices
  As a customer of the AI spend assistant
  I want my sign-in to renew itself while I work, and to end everywhere the moment I say so

  Business value:
    People keep the assistant open on a laptop and a phone for hours. Their sign-in must renew
    quietly, their devices must see the same progress, and when they sign out, change their
    password or lose a device, every pass of that sign-in must stop working at once, on every
    server, even if our session cache restarts. A stolen renewal must end the sign-in it belongs
    to instead of keeping the thief in.

  Scenario: A renewed pass keeps Alice chatting and her previous renewal is used up
    Given Alice has signed up and is signed in
    When Alice's app renews her pass
    Then Alice can open the chat with her new pass
    And Alice's previous renewal no longer works

  @critical
  Scenario: A stolen renewal used a second time ends the whole sign-in
    Given Alice has signed up and is signed in
    And Mallory has copied Alice's renewal
    And Alice's app has renewed her pass
    When Mallory renews Alice's pass with the copy
    Then Mallory is refused because the renewal was already used
    And Alice's newest pass and renewal stop working too

  @critical
  Scenario: Two renewals of one pass at the same moment: one succeeds, then the sign-in ends for safety
    Given Alice has signed up and is signed in
    When Alice's laptop and phone renew the same pass at the same moment
    Then exactly one of them gets a new pass
    And that new pass and its renewal stop working too, as the same renewal was used twice
    And Alice can sign in again with her password

  @critical
  Scenario: Signing out closes that sign-in's chats on every server within 2 seconds
    Given Alice has signed up and is signed in
    And Alice has the chat open in two tabs, each served by a different server
    And Alice is also signed in on her phone, with the chat open
    When Alice signs out in her first tab
    Then both of Alice's tabs are closed within 2 seconds, asking her to sign in again
    And the pass and renewal of that sign-in no longer work
    And Alice's phone stays connected

  @critical @fault
  Scenario: A sign-out still holds after the session cache restarts and forgets everything
    Given Alice has signed up and is signed in
    And Alice has signed out
    When the session cache restarts and loses everything it held
    Then Alice's old pass still does not open the chat

  # @embedded (here and below): passes that last 2 seconds, on a server the suite starts.
  @embedded
  Scenario: The chat closes when the pass expires, and a renewed pass opens it again
    Given Alice is signed in on a server whose passes last 2 seconds, with the chat open
    When Alice keeps the chat open past her pass's expiry
    Then Alice's chat was closed at the expiry, asking her to sign in again
    And after renewing her pass Alice opens the chat again and gets an answer

  @embedded
  Scenario: Alice's pass expires while an answer is running; once renewed, the answer arrives
    Given Alice has signed up
    And Alice is signed in on her laptop on a server with 2-second passes and slow usage data
    And Alice asked "How can we cut our model spend?" and her laptop saw the assistant start checking it
    When Alice's pass expires while the assistant is still working
    Then Alice's laptop is told her pass has expired, asking her to sign in again
    And after renewing her pass, Alice's laptop gets the answer, each step once and in order

  @embedded
  Scenario: Alice's app renews her pass while an answer is running, and the answer still arrives
    Given Alice has signed up
    And Alice is signed in on her laptop on a server with 2-second passes and slow usage data
    And Alice asked "How can we cut our model spend?" and her laptop saw the assistant start checking it
    When Alice's app renews her pass while the assistant is still working
    Then Alice's laptop gets the answer, each step once and in order, reopening the chat if asked

  @critical
  Scenario: Alice's laptop shows the progress of a question asked on her phone
    Given Alice has signed up
    And Alice is signed in on her laptop and on her phone, with the chat open on both
    When Alice asks on her phone "How can we cut our model spend?"
    Then Alice's laptop shows every step of the answer too

  @critical
  Scenario: Signing out everywhere ends every sign-in of Alice
    Given Alice has signed up
    And Alice is signed in on her laptop and on her phone, with the chat open on both
    When Alice signs out everywhere from her laptop
    Then the chat is closed on both of Alice's devices within 2 seconds, asking her to sign in again
    And no pass or renewal of either device works any more
    And Alice can sign in again with her password

  @critical
  Scenario: Changing the password ends every sign-in of Alice
    Given Alice has signed up
    And Alice is signed in on her laptop and on her phone, with the chat open on both
    When Alice changes her password on her laptop
    Then the chat is closed on both of Alice's devices within 2 seconds, asking her to sign in again
    And no pass or renewal of either device works any more
    And only Alice's new password lets her in
