@allure.label.epic:Authentication @sign_in_provider @customer
Feature: Enterprise sign-in through the company's own provider
  In order to manage who in my company uses the assistant in one place
  As the administrator of a company that uses a single sign-on provider
  I want my people to sign in with our provider, and nobody to get in with a forged provider pass

  Business value:
    Larger customers only buy tools that sign in through their own identity provider. That door
    must be exactly as safe as the password one: only passes signed with the provider's published
    keys are accepted, a change of the provider's keys is picked up by itself, and no pass can
    make us fetch keys from anywhere else or hammer the provider.

  Background:
    Given Carol's company lets its people sign in through its own provider

  @critical
  Scenario: Carol signs in through her company's provider and asks the assistant
    When Carol signs in through her company's provider
    Then Carol is recognised as herself
    And Carol can ask "How can we cut our model spend?" and get an answer

  Scenario: The provider starts signing with a new key and Carol still gets in
    Given the provider has started signing with a new key
    When Carol signs in through her company's provider
    Then Carol is recognised as herself

  @critical
  Scenario: Made-up key labels do not make us hammer the provider
    When Mallory tries 20 times to sign in with passes naming keys the provider never published
    Then Mallory is refused every time
    And the provider was asked for its keys at most twice

  Scenario: A provider sign-in with Alice's email does not take over her password account
    Given Alice has signed up
    When Mallory signs in through the provider with Alice's email
    Then Mallory is refused because the account already exists

  @critical
  Scenario Outline: Forged provider passes are refused and nothing is fetched from elsewhere
    Given Mallory runs a server of her own
    When Mallory signs in through the provider with <a forged pass>
    Then Mallory is refused, because <reason>
    And Mallory's server was never contacted

    Examples:
      | a forged pass                                                   | reason                |
      | a pass signed with the provider's public key as a shared secret | the pass is not valid |
      | a pass that says it needs no signature                          | the pass is not valid |
      | a pass meant for another application                            | the pass is not valid |
      | a pass whose email the provider never said it verified          | the pass is not valid |
      | a pass for us that another application asked for                | the pass is not valid |
      | a pass for us and another application, asked for by neither     | the pass is not valid |
      | a pass from another issuer                                      | the pass is not valid |
      | a pass whose issuer is only part of the provider's              | the pass is not valid |
      | a pass that expired an hour ago                                 | the pass has expired  |
      | a pass that never expires                                       | the pass is not valid |
      | a pass signed with a key the provider never published           | the pass is not valid |
      | a key-set link pointing to her server                           | the pass is not valid |
      | a certificate link pointing to her server                       | the pass is not valid |
      | her own key embedded in the pass                                | the pass is not valid |
      | a key label pointing to her server                              | the pass is not valid |
