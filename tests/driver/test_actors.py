"""The Screenplay parts without a service: an actor's abilities and tasks, the cast's spotlight."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from driver.actors.abilities import Ability, CallTheApi, ChatOnDevices
from driver.actors.actor import Actor
from driver.actors.interactions import See
from driver.actors.notepad import Note
from driver.actors.questions import TheNoted
from driver.client.api import ChatApi
from driver.evidence.transcript import Transcript
from fixtures.cast import Cast

LAST_WORD = Note[str]("the last word written down")


@dataclass
class Word:
    """A task that writes down that it ran (under its word, on the actor's notepad too)."""

    word: str
    log: list[str] = field(default_factory=list)

    async def perform_as(self, actor: Actor) -> None:
        self.log.append(f"{actor.name}: {self.word}")
        actor.notes.write(LAST_WORD, self.word)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def test_an_actor_uses_the_ability_of_that_kind_given_last() -> None:
    alice = Actor("Alice", "alice@example.com", "a long password", Transcript("t"))
    with pytest.raises(AssertionError, match="Alice has no ability to ChatOnDevices"):
        alice.ability_to(ChatOnDevices)
    first, second = ChatOnDevices("ws://one/ws"), ChatOnDevices("ws://two/ws")
    alice.who_can(first).can(second)
    assert alice.ability_to(ChatOnDevices) is second and alice.chat is second


async def test_tasks_run_in_order_and_what_they_noted_is_asked_for() -> None:
    alice, log = Actor("Alice", "a@example.com", "pw", Transcript("t")), list[str]()
    await alice.attempts_to(Word("sign up", log))
    assert await alice.asks_for(TheNoted(LAST_WORD)) == "sign up"
    await alice.attempts_to(Word("one", log), Word("two", log))
    assert log == ["Alice: sign up", "Alice: one", "Alice: two"]
    assert await alice.asks_for(TheNoted(LAST_WORD)) == "two"


async def test_the_spotlight_is_on_whom_a_step_put_it(session: aiohttp.ClientSession) -> None:
    cast = Cast("http://127.0.0.1:1", session, "spotlight")
    with pytest.raises(AssertionError, match="no step has named"):
        cast.in_the_spotlight()
    alice = cast.spotlight_on("Alice")
    bob = cast.person("Bob")  # naming someone else does not move the spotlight
    assert cast.in_the_spotlight() is alice is not bob
    assert cast.spotlight_on("Bob") is bob and cast.in_the_spotlight() is bob


async def test_moving_the_cast_moves_everyone(session: aiohttp.ClientSession) -> None:
    cast = Cast("http://127.0.0.1:1", session, "move")
    alice = cast.person("Alice")
    cast.move_to("http://127.0.0.1:2/")
    carol = cast.person("Carol")
    for person in (alice, carol):
        api: ChatApi = person.ability_to(CallTheApi).api
        assert api.base_url == "http://127.0.0.1:2" and person.api is api
        assert person.chat.ws_url == "ws://127.0.0.1:2/ws"


@dataclass
class Remembered:
    """An ability that writes down when it is forgotten (and can refuse to be)."""

    log: list[str]
    fails: bool = False

    async def forget(self) -> None:
        self.log.append("forgotten")
        if self.fails:
            raise RuntimeError("could not let go")


async def test_dismissing_the_cast_makes_everyone_forget_every_ability(
    session: aiohttp.ClientSession,
) -> None:
    cast, log = Cast("http://127.0.0.1:1", session, "dismiss"), list[str]()
    alice, bob = cast.person("Alice"), cast.person("Bob")
    assert isinstance(alice.chat, Ability) and isinstance(alice.ability_to(CallTheApi), Ability)
    alice.can(Remembered(log, fails=True))  # one failing does not keep the others
    bob.can(Remembered(log))
    with pytest.raises(RuntimeError, match="could not let go"):
        await cast.dismiss()
    assert log == ["forgotten", "forgotten"]
    for person in (alice, bob):
        with pytest.raises(AssertionError, match="has no ability to ChatOnDevices"):
            person.ability_to(ChatOnDevices)
        with pytest.raises(AssertionError, match="has no ability to CallTheApi"):
            person.ability_to(CallTheApi)


def test_a_person_reads_back_what_they_noted_and_says_what_they_do_not_remember() -> None:
    alice = Actor("Alice", "a@example.com", "pw", Transcript("t"))
    old_password, also = Note[str]("her old password"), Note[str]("her old password")
    with pytest.raises(AssertionError, match="Alice does not remember her old password"):
        alice.notes.read(old_password)
    alice.notes.write(old_password, "hunter2")
    assert alice.notes.read(old_password) == "hunter2"
    assert not alice.notes.has(also)  # a note is its own key, not its words


@dataclass(frozen=True)
class Spoken:
    """A question whose answer is a fixed word."""

    word: str

    async def answered_by(self, actor: Actor) -> str:
        return self.word


@dataclass(frozen=True)
class IsPolite:
    """A resolution: the word is "please"."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        return [] if answer == "please" else [f"{actor.name} heard {answer!r}, not 'please'"]


async def test_checks_live_in_see_and_questions_only_answer() -> None:
    alice = Actor("Alice", "a@example.com", "pw", Transcript("t"))
    assert await alice.asks_for(Spoken("now")) == "now"  # a question never fails on its answer
    await alice.should(See(Spoken("please"), IsPolite()))
    with pytest.raises(AssertionError, match="Alice heard 'now', not 'please'"):
        await alice.should(See(Spoken("please"), IsPolite()), See(Spoken("now"), IsPolite()))
