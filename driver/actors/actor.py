"""An actor (Screenplay, as in serenity-js and screenpy): a person of a scenario who has
abilities, remembers facts, performs tasks and answers questions.

    alice = Actor("Alice", email, password, transcript).who_can(CallTheApi(api), ChatOnDevices(ws))
    await alice.attempts_to(SignUp(), SignIn())
    await alice.attempts_to(Ask("How can we cut our model spend?"))
    run = await alice.asks_for(TheRunAsked())
    final = await alice.asks_for(TheAnswer(within=15))

Everything an actor's connections see goes to their StreamVerifier (the contract) and to the
scenario's Transcript (the evidence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from driver.actors.abilities import Ability, CallTheApi, ChatOnDevices
from driver.actors.notepad import Notepad
from driver.client.api import ChatApi
from driver.client.models import Ack, Message, Tokens
from driver.client.stream import RunStream
from driver.evidence.transcript import Transcript
from driver.oracle.answer_lookout import AnswerLookout
from driver.oracle.verifier import RunDirectory, StreamVerifier

DEFAULT_DEVICE = "laptop"

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
A = TypeVar("A")


class Task(Protocol):
    """Something an actor does that changes the world; it returns nothing: what it leaves
    behind is read afterwards with a question (what it must remember goes on the notepad)."""

    async def perform_as(self, actor: Actor) -> None: ...


class Question(Protocol[T_co]):
    """Something an actor looks at (and may wait for); the answer."""

    async def answered_by(self, actor: Actor) -> T_co: ...


class Actor:
    def __init__(
        self,
        name: str,
        email: str,
        password: str,
        transcript: Transcript,
        *,
        directory: RunDirectory | None = None,
    ) -> None:
        self.name = name
        # What they remember: their account, their passes, what they uploaded, where they are.
        self.email = email
        self.password = password
        self.user_id: str | None = None
        self.tokens: Tokens | None = None  # the pass of their main sign-in
        self.device_passes: dict[str, Tokens] = {}  # devices signed in on their own
        self.usage: list[Mapping[str, Any]] = []  # every usage record they uploaded
        self.current_thread: str | None = None  # the conversation they are in
        self.last_ack: Ack | None = None
        self.last_run: RunStream | None = None  # their last question, on the device they asked
        self.notes = Notepad(name)  # the rest of what they remember, one typed note each
        # What they see: checked against the contract, written down for the report.
        self.verifier = StreamVerifier(name, directory=directory)
        # Each answer, the moment it arrives, is looked up in their history (invariant 5).
        self.lookout = AnswerLookout(self.verifier, self._read_thread, self.note)
        self.transcript = transcript
        self._abilities: dict[type[Any], Ability] = {}

    def __repr__(self) -> str:
        return f"Actor({self.name!r}, {self.email!r})"

    # -- abilities
    def who_can(self, *abilities: Ability) -> Actor:
        for ability in abilities:
            self.can(ability)
        return self

    def can(self, ability: Ability) -> None:
        """Give them an ability, replacing the one of the same kind they had."""
        self._abilities[type(ability)] = ability

    async def exit(self) -> None:
        """Forget every ability (screenpy's `exit`), each releasing what it holds, even when one
        of them fails; afterwards they can do nothing until given an ability again."""
        abilities, self._abilities = list(self._abilities.values()), {}
        failures: list[BaseException] = []
        for ability in abilities:
            try:
                await ability.forget()
            except Exception as failure:
                failures.append(failure)
        if failures:
            raise failures[0]

    def ability_to(self, kind: type[A]) -> A:
        ability = self._abilities.get(kind)
        if not isinstance(ability, kind):
            raise AssertionError(f"{self.name} has no ability to {kind.__name__}")
        return ability

    @property
    def api(self) -> ChatApi:
        """The HTTP client their ability to call the API uses."""
        return self.ability_to(CallTheApi).api

    @property
    def chat(self) -> ChatOnDevices:
        return self.ability_to(ChatOnDevices)

    # -- tasks and questions
    async def attempts_to(self, *tasks: Task) -> None:
        """Perform the tasks in order."""
        for task in tasks:
            await task.perform_as(self)

    async def should(self, *checks: Task) -> None:
        """Perform checks (interactions such as See), in order: screenpy's `should`."""
        for check in checks:
            await check.perform_as(self)

    async def asks_for(self, question: Question[T]) -> T:
        return await question.answered_by(self)

    # -- facts
    def pass_for(self, device: str = DEFAULT_DEVICE) -> str:
        """The pass a device shows: its own sign-in's, else the person's."""
        tokens = self.device_passes.get(device)
        return tokens.access_token if tokens is not None else self.access_token

    @property
    def access_token(self) -> str:
        if self.tokens is None:
            raise AssertionError(f"{self.name} is not signed in")
        return self.tokens.access_token

    def asked_last(self) -> RunStream:
        """Their last question, as the device they asked on follows it."""
        if self.last_run is None:
            raise AssertionError(f"{self.name} has not asked anything yet")
        return self.last_run

    def acks(self) -> list[Ack]:
        """Every confirmation any of their connections received, old connections included."""
        return [ack for socket in self.chat.connections() for ack in socket.acks]

    async def _read_thread(self, thread_id: str) -> Sequence[Message]:
        return await self.api.messages(self.access_token, thread_id)

    def note(self, detail: str, *, kind: str = "note") -> None:
        self.transcript.note(self.name, detail, kind=kind)
