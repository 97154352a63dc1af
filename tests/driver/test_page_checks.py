"""The checks of the web page and of an answer's text, without a browser: what each resolution
lets through and how it words what is wrong (the @ui scenarios use them on the real page)."""

from __future__ import annotations

from driver.actors.actor import Actor
from driver.actors.interactions import (
    CaughtUpOnItsOwn,
    IsAboutTheFeatureOnly,
    IsEqualTo,
    ShowsEveryKindOfProgressInOrder,
    ShowsHerQuestionThenTheAnswer,
    StatesTheSavings,
)
from driver.actors.questions.page import CatchingUp
from driver.actors.tasks import ANSWERS_IN_THE_BROWSER
from driver.evidence.transcript import Transcript
from driver.web.chat_page import Step

KINDS = ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")
IN_ORDER = [Step(kind, n, "run-1", kind, n) for n, kind in enumerate(KINDS, start=1)]


def alice() -> Actor:
    return Actor("Alice", "alice@example.com", "a long password", Transcript("t"))


def test_progress_is_every_kind_once_in_order_to_the_answer() -> None:
    check = ShowsEveryKindOfProgressInOrder()
    assert check.problems(alice(), IN_ORDER) == []
    [said] = check.problems(alice(), [IN_ORDER[0], IN_ORDER[2], IN_ORDER[1]])
    assert said.startswith("Alice's browser shows the wrong progress: no tool_completed")
    assert "not each shown once, in order: [1, 3, 2]" in said
    assert "the last step is 'agent_thinking', not the answer" in said


def test_catching_up_needs_a_reconnection_that_asks_for_what_was_missed() -> None:
    check = CaughtUpOnItsOwn()
    assert check.problems(alice(), CatchingUp(IN_ORDER, reconnected=True, resumed=True)) == []
    [said] = check.problems(alice(), CatchingUp(IN_ORDER, reconnected=True, resumed=False))
    assert said == (
        "Alice's browser did not catch up: it reconnected without asking for the steps it missed"
    )
    [said] = check.problems(alice(), CatchingUp(IN_ORDER, reconnected=False, resumed=False))
    assert said.endswith("it never reconnected")


def test_the_conversation_shown_is_her_question_then_the_answer_she_was_given() -> None:
    person = alice()
    person.notes.write(ANSWERS_IN_THE_BROWSER, {"How  can we save?": "Save $1.00"})
    check = ShowsHerQuestionThenTheAnswer()
    shown = [("user", "How can we save?"), ("assistant", "Save  $1.00")]
    assert check.problems(person, shown) == []  # spacing evened out
    [said] = check.problems(person, [("user", "How can we save?"), ("assistant", "Other")])
    assert "the answer is not the one she was given: 'Save $1.00'" in said
    [said] = check.problems(alice(), shown)  # she remembers no answer
    assert "is not one she asked ([])" in said


def test_an_answers_figures_and_scope_in_the_scenarios_words() -> None:
    answer = "For the support-bot feature, you could save about $1,316.00 a month."
    assert StatesTheSavings("$1,316.00").problems(alice(), answer) == []
    [said] = StatesTheSavings("$1,383.50").problems(alice(), answer)
    assert said.startswith("Alice was told savings of $1,316.00 a month, expected $1,383.50")
    assert IsAboutTheFeatureOnly("support-bot").problems(alice(), answer) == []
    [said] = IsAboutTheFeatureOnly("support-bot").problems(alice(), answer + " nightly-report")
    assert said.startswith("the answer to Alice still mentions nightly-report")


def test_is_equal_to_says_what_was_seen_or_the_scenarios_own_sentence() -> None:
    assert IsEqualTo(["ok"]).problems(alice(), ["ok"]) == []
    assert IsEqualTo(["ok"]).problems(alice(), []) == ["Alice saw [], expected ['ok']"]
    instead = IsEqualTo("yes", instead="{name} was told {answer!r}")
    assert instead.problems(alice(), "no") == ["Alice was told 'no'"]
