@allure.label.epic:AgentProgress @customer
Feature: While it works, the assistant says which period and what it will read
  In order to trust the figures before they arrive
  As someone asking the assistant about my company's AI spend
  I want its plan to name the days and the part of my company it is about to read

  Business value:
    The plan is the first thing a customer reads while the answer is prepared. A plan that names
    the wrong month, or the whole company when the question was about one feature, tells the
    customer the answer will be about something else, and they stop reading or ask again.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company has a month of AI usage on record

  @critical
  Scenario: A question about the whole company: the plan names the last 30 days and the company
    When Alice asks "How can we cut our model spend?"
    Then Alice hears, while the assistant works, that it will read the usage of the whole company over the last 30 days

  Scenario: A question about one feature: the plan names that feature
    When Alice asks "What does the support bot cost us?"
    Then Alice hears, while the assistant works, that it will read the usage of the support-bot feature over the last 30 days

  Scenario: A follow-up that names nothing: the plan keeps the feature asked about before
    Given Alice has asked "What does the support bot cost us?" and received the answer
    When Alice asks in the same conversation "And what would that save in a year?"
    Then Alice hears, while the assistant works, that it will read the usage of the support-bot feature over the last 30 days
