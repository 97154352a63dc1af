@allure.label.epic:Resilience @fault @customer
Feature: Answers keep coming when the language model provider has trouble
  In order to always get an answer about my AI spend
  As a customer
  I want the assistant to answer from its own analysis when the external language model is slow,
  failing or down, or else to tell me clearly that it is unavailable

  Business value:
    An external language model can word our answers nicely, but it is a service we do not run:
    it can be slow, overloaded or down. Our figures never depend on it (they are computed from
    the customer's own usage), so its trouble must cost the customer at most the nice wording,
    never the answer itself, and never a silent, spinning chat.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company has a month of AI usage on record
    And the assistant writes its answers with an external language model

  @critical
  Scenario: The language model words the answer and the figures stay the computed ones
    When Alice asks "How can we cut our model spend?"
    Then Alice gets the answer within 8 seconds of asking
    And the answer opens with the language model's words
    And Alice is told her company spent $3,785.00 in the last 30 days
    And Alice is told she can save about $1,383.50 a month

  @critical
  Scenario Outline: When the language model <trouble>, Alice still gets the computed answer in time
    Given the language model <trouble>
    When Alice asks "How can we cut our model spend?"
    Then Alice gets the answer within 8 seconds of asking
    And Alice is told she can save about $1,383.50 a month
    And the language model was asked at most 3 times for that answer

    Examples:
      | trouble                  |
      | fails with server errors |
      | never answers            |
      | answers too slowly       |
      | answers with nonsense    |
      | is unreachable           |

  Scenario: An answer the language model streams word by word is put together whole
    Given the language model streams its answer word by word
    When Alice asks "How can we cut our model spend?"
    Then Alice gets the answer within 8 seconds of asking
    And the answer opens with the language model's words
    And Alice is told she can save about $1,383.50 a month

  Scenario: When the language model declines to word the answer, Alice gets the computed answer alone
    Given the language model declines to word the answer
    When Alice asks "How can we cut our model spend?"
    Then Alice gets the answer within 8 seconds of asking
    And the answer is the assistant's computed report alone, with no words of the language model
    And Alice is told she can save about $1,383.50 a month

  Scenario: Without a fallback, Alice is told clearly and in time that the language model is unavailable
    Given the assistant has no fallback when the language model is unavailable
    And the language model fails with server errors
    When Alice asks "How can we cut our model spend?"
    Then Alice is told within 8 seconds of asking that the language model is unavailable
