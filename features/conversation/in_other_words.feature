@allure.label.epic:Conversation @customer
Feature: The same question in other words gets the same figures
  In order to rely on the assistant's figures whoever asks and however they put it
  As the person responsible for my company's AI budget
  I want questions that mean the same thing to get exactly the same figures

  Business value:
    Two colleagues who ask the same thing in their own words and get different figures will
    trust neither. The wording may change how the answer opens; it must never change a figure.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company has a month of AI usage on record

  @critical
  Scenario Outline: Asked how to spend less, in other words: "<question>"
    When Alice asks "<question>"
    Then Alice is told her company spent $3,785.00 in the last 30 days
    And Alice is told she can save about $1,383.50 a month
    And the answer suggests moving "support-bot" from "gpt-4o" to "gpt-4o-mini"

    Examples:
      | question                                                  |
      | How can we cut our model spend?                           |
      | Where could we save money on AI models?                   |
      | What would it take to reduce what we pay for our LLMs?    |
      | Our AI bill is too high, what should we change?           |

  Scenario Outline: Asked what a request costs, in other words: "<question>"
    When Alice asks "<question>"
    Then Alice is told what each feature costs:
      | feature         | per request | per thousand tokens |
      | contract-review | $0.1125     | $0.0205             |
      | nightly-report  | $0.0450     | $0.0038             |
      | support-bot     | $0.0035     | $0.0037             |

    Examples:
      | question                                              |
      | Which feature costs the most per request?             |
      | What does each request cost us, feature by feature?   |
      | Per call, which of our features is the priciest?      |
      | Show me the unit cost of each feature                 |
