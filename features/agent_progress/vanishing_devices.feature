@allure.label.epic:AgentProgress @customer
Feature: A device that vanishes without a word is let go, and its owner loses nothing
  In order to keep using the assistant when my laptop drops off a train's Wi-Fi
  As someone asking the assistant about my company's AI spend
  I want the place my vanished laptop held given back, and every step it missed waiting for me

  Business value:
    Networks rarely say goodbye: a laptop in a tunnel or a phone switching masts just stops
    answering. If the service kept counting such a device as open, its owner would soon be
    turned away for having "too many chats open" on devices that are long gone. The service
    checks on every device at a steady beat, lets go of one that stopped answering, and the
    person's other device, or the same one coming back, still sees the whole answer.

  @critical @fault @direct @server:quick_to_notice
  Scenario: Alice's laptop vanishes mid-answer: its place is given back and nothing is lost
    Given Alice has signed up and is signed in
    And Alice's plan lets her keep 2 chats open at once
    And Alice has her phone open, and her laptop open over a network that may freeze
    And Alice asked "How can we cut our model spend?" on her laptop
    When the network under Alice's laptop freezes without a word
    Then the service lets go of Alice's laptop within two of its heartbeats, so her tablet can take its place
    And Alice's phone has the whole answer, each step once and in order
    And Alice's laptop, back on a working network, catches up on everything, each step once and in order
