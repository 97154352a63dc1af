@allure.label.epic:Isolation @customer
Feature: Many people at once, and each sees only their own
  In order to trust the assistant with my company's spending
  As one of many customers using it at the same moment
  I want my progress and answers to reach me alone, whichever server serves me

  Business value:
    Customers are often competitors. At busy moments many of them ask at once (twenty here), served by
    different servers. A single step of one customer's answer reaching another would leak
    spending data and end both relationships. Every stream each person sees is checked, and so
    is what the service stored for them.

  @critical @two_servers @nothing_lost @slow
  Scenario: Twenty customers ask at the same time across two servers
    Given 20 customers of different companies, each with their own usage, are split evenly across two servers
    When they all ask the assistant about their spend at the same time
    Then each of them sees only their own progress and is told their own company's spend
    And the stored conversation and record of each hold only their own question and answer

  @critical @fault
  Scenario: Mallory cannot catch up on Alice's question while it is still running on another server
    Given Alice has signed up and is signed in
    And Alice's laptop is on a server where reading usage data takes a while
    And Alice asked "How can we cut our model spend?" and her laptop saw the assistant start checking it
    And Mallory has signed up and is signed in
    When Mallory's app asks to catch up on Alice's question
    Then Mallory is told there is no such question to catch up on
    And Mallory is sent none of Alice's steps
