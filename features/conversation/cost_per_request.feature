@allure.label.epic:Conversation @customer
Feature: Which feature costs the most for each request it serves
  In order to find the features whose every use is expensive
  As the person responsible for my company's AI budget
  I want each feature's cost per request and per thousand tokens, exact, over the last 30 days

  Business value:
    Total spend says where the money went; the cost of one request says which feature is
    expensive to run, whatever its traffic. A product team sizes a feature's price or its limits
    on that figure, so it must be exact, computed over the same 30 days as every other answer.
    Each expected figure below is worked out by hand from the table.

  Background:
    Given Alice has signed up and is signed in
    And Alice's company recorded this usage:
      | days ago | model         | feature         | requests | input tokens | output tokens | cost    |
      | 1        | gpt-4o        | support-bot     | 400000   | 320000000    | 60000000      | 1400.00 |
      | 2        | gpt-4o-mini   | support-bot     | 100000   | 20000000     | 5000000       | 6.00    |
      | 2        | claude-opus-4 | contract-review | 20000    | 100000000    | 10000000      | 2250.00 |
      | 3        | gpt-4o        | doc-search      | 1000     | 200000000    | 1000000       | 510.00  |
      | 4        | gpt-4o        | nightly-report  | 3000     | 30000000     | 6000000       | 135.00  |
      | 35       | claude-opus-4 | contract-review | 10       | 10000        | 1000          | 9000.00 |

  @critical
  Scenario: Alice learns which feature costs the most per request, and what each one costs
    # Per request: doc-search 510 / 1,000 = 0.51; contract-review 2,250 / 20,000 = 0.1125;
    # nightly-report 135 / 3,000 = 0.045; support-bot (both models) 1,406 / 500,000 = 0.002812.
    # Per thousand tokens (input and output): contract-review 2,250 / 110,000 = 0.020454...;
    # nightly-report 135 / 36,000 = 0.00375 (rounded up); support-bot 1,406 / 405,000 =
    # 0.003471...; doc-search 510 / 201,000 = 0.002537.... The $9,000.00 of 35 days ago is older
    # than the 30 days.
    When Alice asks "Which feature costs the most per request?"
    Then Alice is told "doc-search" costs the most, at $0.5100 a request
    And Alice is told what each feature costs:
      | feature         | per request | per thousand tokens |
      | doc-search      | $0.5100     | $0.0025             |
      | contract-review | $0.1125     | $0.0205             |
      | nightly-report  | $0.0450     | $0.0038             |
      | support-bot     | $0.0028     | $0.0035             |
