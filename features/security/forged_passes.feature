@allure.label.epic:Security @customer
Feature: Nobody gets in with a forged, stale or tricked pass
  In order to keep every company's spending data to itself
  As a customer of the AI spend assistant
  I want the assistant to refuse every pass it did not issue, or that is no longer valid

  Business value:
    A pass is the only thing between an attacker and a customer's AI bills. Every forgery an
    attacker's toolbox offers is tried here, at the door of the chat and of the conversation
    history, and each must be refused with a clear reason before anything opens. One forged pass
    that works would expose every customer we have.

  Background:
    Given Alice has signed up and is signed in
    And Mallory has signed up and is signed in

  @critical
  Scenario Outline: Mallory cannot get in as Alice with a forged pass
    When Mallory tries to get in as Alice with <a forged pass>
    Then Mallory is turned away at the chat and at the history, because <reason>

    Examples: Forgeries anyone could attempt
      | a forged pass                                | reason                |
      | a pass that says it needs no signature       | the pass is not valid |
      | her own pass with Alice's account written in | the pass is not valid |
      | a pass signed with a key of her own          | the pass is not valid |
      | a pass cut short                             | the pass is not valid |
      | random characters                            | the pass is not valid |

    @signing_key
    Examples: Forgeries made with our own key
      | a forged pass   | reason                |
      | a pass of 12 KB | the pass is not valid |

    @sign_in_provider
    Examples: Forgeries made with what our sign-in provider publishes
      | a forged pass                                        | reason                |
      | a pass signed with the sign-in provider's public key | the pass is not valid |

  @critical
  Scenario Outline: Mallory cannot get in as Alice with a stale or misdirected pass
    When Mallory tries to get in as Alice with <a stale pass>
    Then Mallory is turned away at the chat and at the history, because <reason>

    @signing_key
    Examples:
      | a stale pass                             | reason                |
      | a pass that expired an hour ago          | the pass has expired  |
      | a pass that never expires                | the pass is not valid |
      | a pass that is only valid from tomorrow  | the pass is not valid |
      | a pass issued tomorrow                   | the pass is not valid |
      | a pass meant for another application     | the pass is not valid |
      | a pass from another issuer               | the pass is not valid |
      | a pass whose issuer is only part of ours | the pass is not valid |
      | a pass that is not an access pass        | the pass is not valid |
      | Alice's renewal code                     | the pass is not valid |

    @sign_in_provider
    Examples: A pass of our sign-in provider
      | a stale pass                  | reason                |
      | Alice's sign-in provider pass | the pass is not valid |

  Scenario Outline: Tricks in a pass's label make the service neither fetch nor trust anything
    Given Mallory runs a server of her own
    When Mallory tries to get in as Alice with <a tricked pass>
    Then Mallory is turned away at the chat and at the history, because the pass is not valid
    And Mallory's server was never contacted

    Examples:
      | a tricked pass                            |
      | a key label pointing to a file            |
      | a key label with a database command       |
      | a key label pointing to her server        |
      | a key-set link pointing to her server     |
      | a certificate link pointing to her server |
      | her own key embedded in the pass          |
