# @embedded: the service is started here with bad settings, and must refuse to start.
@allure.label.epic:Security @embedded @operator
Feature: The service refuses to start with a weak signing secret
  In order that no one can make passes for our customers' accounts
  As the team that runs the AI spend assistant
  I want the service to refuse to start with a secret that is short, a default, or shared

  Business value:
    Whoever knows the signing secret can make a pass for any account. A deployment with the
    example secret from the documentation, a short one, or one that is also the database
    password, is one leaked config file away from exposing every customer. Refusing to start
    turns that mistake into a failed deployment instead of a breach.

  @critical
  Scenario Outline: A weak or shared signing secret stops the service at start-up
    When the service is started with <a signing secret>
    Then it refuses to start, saying the secret <why>

    Examples:
      | a signing secret                                    | why                               |
      | no signing secret at all                            | is required                       |
      | a signing secret of 12 characters                   | must be at least 32 bytes         |
      | the example secret from the documentation           | is a default or example value     |
      | a long secret made of one short pattern             | is a default or low-entropy value |
      | a signing secret that is the database password      | must not be shared                |
      | a signing secret that is also another service's key | must not be shared                |
