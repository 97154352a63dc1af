@allure.label.epic:Resilience @operator @deployment @slow
Feature: A redeploy loses no answer
  In order to ship a new version during the busiest hour
  As the team running the service
  I want to restart every server in turn while people are in the middle of an answer, and have
  nobody notice more than a short pause

  Business value:
    Every release restarts every server. If a restart cut the answers it was working on, we
    would have to release at night and customers would still lose questions now and then. A
    server about to restart stops taking new work, finishes the answers it started, and tells
    the chats it holds that it is going away; those chats come back on another server and catch
    up. Then the next server restarts, until all run the new version.

  @critical
  Scenario: Every server is restarted in turn while 50 people are in the middle of an answer
    Given 50 customers are in the middle of an answer, each asking again as soon as one is answered
    When the operator redeploys every server in turn
    Then every server was restarted while people were in the middle of an answer
    And every question they asked was answered exactly once, none interrupted
    And each of their conversations holds every question and its answer, once each
    And every chat the restarts closed came back and caught up, with nothing repeated or missed
