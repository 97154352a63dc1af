@allure.label.epic:Resilience @nothing_lost @customer
Feature: Malformed messages at volume are refused cleanly and nothing is half stored
  In order to keep the assistant dependable whatever apps and networks send it
  As a customer
  I want every malformed message refused with an explanation, and nothing stored by halves

  Business value:
    Buggy apps, old versions and hostile scripts send every kind of malformed message. Each one
    must get a clear refusal (never a crash, a dropped connection or silence), and none may leave
    half a question in the database, where it would show up as a ghost in someone's history or
    break the figures we compute.

  @critical
  Scenario: Hundreds of garbled messages each get their own clear answer
    Given Alice has signed up and is signed in
    When Alice's app sends 300 garbled messages and every kind known to trip up software
    Then every message got its own answer, and none closed the chat or was met with silence
    And Alice's history holds exactly the questions she was told were stored
