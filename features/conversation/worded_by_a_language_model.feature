@allure.label.epic:Conversation @customer @real_llm
Feature: A real language model words the answer and keeps to our figures and to the question
  In order to trust an answer a language model has worded
  As the person responsible for my company's AI budget
  I want every figure in it to be one the assistant worked out from my usage, and its words to be about my question

  Business value:
    A language model words answers more warmly than a template, but it can invent a figure or
    wander off the subject, and a customer who acts on an invented saving loses money and trust.
    These scenarios run against the real model the service is configured with; wherever its
    wording differs, every figure it states must still be one the assistant's own analysis
    reported, and its words must stay on the customer's AI spend.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company recorded this usage:
      | days ago | model  | feature     | requests | input tokens | output tokens | cost    |
      | 3        | gpt-4o | support-bot | 400000   | 320000000    | 60000000      | 1400.00 |

  Scenario Outline: The language model words the answer to "<question>" with the computed figures only
    When Alice asks "<question>"
    Then Alice gets the answer within 60 seconds of asking
    And every figure in the answer is one the assistant worked out from Alice's usage
    And the language model's own words are about Alice's AI spend
    And Alice is told her company spent $1,400.00 in the last 30 days

    Examples:
      | question                           |
      | How can we cut our model spend?    |
      | Where could we save on AI models?  |
