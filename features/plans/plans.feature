@allure.label.epic:Plans @allure.issue:18 @customer
Feature: Each plan sets what its people may use, and says so when they reach it
  In order to get what my company pays for, and to know where I stand when I reach a limit
  As a customer on one of the plans (Free, Early, Mid or Enterprise)
  I want my plan's allowances to hold, and to be told in plain words which one I reached and when it comes back

  Business value:
    Accounts are free to open, so what one person may use cannot be what the service can give:
    a hundred free sign-ups would otherwise take a hundred times as much. Every account has a
    plan (Free unless the operator moves it, or the company signs in through its own provider,
    which is Enterprise), and the plan sets how many questions a day, how many open chats, how
    much usage data and how much of the busy line its people get. A customer who reaches an
    allowance is told which one and when she can go on; a paying customer's question is not
    stuck behind a crowd of free ones.

  @critical @allure.label.segment:Free @server:small_plans
  Scenario: Fiona on the Free plan has asked all her questions for today and is told when she can ask again
    Given Fiona has signed up and is signed in
    And Fiona has asked 3 questions today and got her answers
    When Fiona asks "How can we cut our model spend?" once more
    Then Fiona is told she has asked all the questions her Free plan allows today, and that she can ask again at midnight UTC

  @critical @allure.label.segment:Free @server:small_plans
  Scenario: Fiona signed in on her laptop and on her phone has one person's questions for today, not two people's
    Given Fiona has signed up and is signed in
    And Fiona has signed in again on her phone
    And Fiona has asked 3 questions today and got her answers
    When Fiona asks "How can we cut our model spend?" once more on her phone
    Then Fiona is told she has asked all the questions her Free plan allows today, and that she can ask again at midnight UTC

  @critical @allure.label.segment:Free @server:small_plans
  Scenario: Fiona sends her last question of the day from her laptop and her phone at the same moment, and it is taken once
    Given Fiona has signed up and is signed in
    And Fiona is also signed in on her phone, with the chat open
    And Fiona has asked 2 questions today and got her answers
    When Fiona asks "How can we cut our model spend?" on her laptop and on her phone at the same moment
    Then exactly one of them is taken, and the other is told she has asked all the questions her Free plan allows today
    And Fiona's history holds exactly the questions she was told were stored

  @critical @allure.label.segment:Free @server:small_plans
  Scenario: Alice signed in on her laptop and on her phone may keep one person's chats open, not two people's
    Given Alice has signed up and is signed in
    And Alice has 2 chats open
    And Alice has signed in again on her phone
    When Alice tries to open the chat on her phone
    Then Alice is turned away before the chat opens, because she has too many chats open

  @allure.label.segment:Early @server:small_plans
  Scenario: Elena on the Early plan asks more questions in a day than the Free plan allows
    Given Elena has signed up and is signed in
    And the operator has moved Elena to the Early plan
    When Elena asks 5 questions today
    Then Elena gets all her answers

  # @embedded: the operator's plan command works on the service's database.
  @critical @embedded @allure.label.segment:Mid @server:small_plans
  Scenario: The operator moves Alice to the Mid plan and she can open more chats
    Given Alice has signed up and is signed in
    And Alice has 2 chats open
    And Alice cannot open one more chat, because she has too many chats open
    When the operator moves Alice to the Mid plan
    Then Alice can open 2 more chats
    And Alice cannot open one more chat, because she has too many chats open

  @critical @allure.label.segment:Enterprise @server:fair_line
  Scenario: Erin on the Enterprise plan asks while a Free flood fills the line and is answered within the normal time
    Given Erin has signed up and is signed in
    And the operator has moved Erin to the Enterprise plan
    And Frank has signed up and is signed in
    And Mallory has just asked the assistant 9 questions at once, on the same server as Erin
    And Frank has just asked the assistant 3 questions at once, on the same server as Erin
    When Erin asks "How can we cut our model spend?" while the assistant is that busy
    Then Frank was told the assistant is busy for 1 of her questions
    And Erin gets the answer within 2.5 seconds of asking
    And all of Mallory's questions that were taken are answered as well
    And all of Frank's questions that were taken are answered as well

  # @embedded: the operator's view of the plan is read in the database.
  @critical @embedded @allure.label.segment:Enterprise
  Scenario: Carol signs in through her company's provider for the first time and her account is on the Enterprise plan
    Given Carol's company lets its people sign in through its own provider
    When Carol signs in through her company's provider
    Then the operator sees Carol is on the Enterprise plan

  # @embedded: the suite's own sign-in provider, and the operator's plan command (database).
  @embedded @allure.label.segment:Enterprise
  Scenario: Once the operator has moved Carol off the Enterprise plan, her company's provider no longer lets her in
    Given Carol's company lets its people sign in through its own provider
    And Carol has signed in through her company's provider before
    And the operator has moved Carol to the Free plan
    When Carol tries to sign in through her company's provider again
    Then Carol is turned away from her company's provider sign-in, because her account is not on the Enterprise plan
