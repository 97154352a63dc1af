"""Admission control: a bounded number of runs in flight per instance, the rest in a fair line.

Under a thousand simultaneous questions, starting every run at once made them compete for the
same database connections until the pools timed out: runs failed halfway and leases lapsed.
Now a run takes a place when its question is acknowledged: a slot if one is free, otherwise a
place in the line (its `agent_started` says which). Beyond the line's bound, or beyond the
asker's share of it, the question is refused before anything is stored (`busy`, with
`retry_after`), so load never fails a run that was accepted.

The line is fair between people (issue 18): a first-come queue let one person's flood hold
everyone else back. A free slot goes to the waiting person with the fewest runs in flight (a
person with nothing running goes first), and among those to whoever's turn it is (round robin);
each person's own questions keep their order. A place waits at most `wait_s`, then ends with
`QueueWaitExpired`; a slot is given back exactly once whatever happens to its run (`release`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import Enum, auto

# Runs mostly wait for PostgreSQL. At 100 people asking at once, 128 slots start everyone at
# once (answer p99 0.7 s here, against 0.9 s with 32 slots and up to 1.4 s between two steps of a
# queued run); at 1,000 they keep the database and both cores busy without piling up work.
RUNS_IN_FLIGHT = 128
RUNS_QUEUED = 2000
# One person's waiting questions: more than a person and a script of theirs need (a question
# burst is 10), far less than the line, so one account cannot fill it.
RUNS_QUEUED_PER_PERSON = 5
# How long a question may wait for a slot: with the run deadline's default (30 s) an answer
# or a clear error comes within the minute the product promises.
RUN_QUEUE_WAIT_S = 30.0
# Until a run has finished, the expected duration used for `retry_after`.
DEFAULT_RUN_S = 1.0
SMOOTHING = 0.1

Person = Hashable


class QueueWaitExpired(Exception):
    """The question waited its bound in line without getting a slot."""


class _State(Enum):
    WAITING = auto()
    RUNNING = auto()  # holds a slot
    GONE = auto()


@dataclass(eq=False)
class Place:
    """A run's place: `position` 0 means it may start now; otherwise it waits for `ready`, and
    `position` is the place it was last given (`refresh_positions` only ever lowers it)."""

    person: Person
    position: int
    ready: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    state: _State = _State.WAITING
    since: float = 0.0  # when it took its slot (time.monotonic())

    @property
    def waiting(self) -> bool:
        return self.state is _State.WAITING

    @property
    def gone(self) -> bool:
        """Done with: its run ended, or it gave up in line."""
        return self.state is _State.GONE


class Admission:
    def __init__(
        self,
        *,
        in_flight: int = RUNS_IN_FLIGHT,
        queued: int = RUNS_QUEUED,
        queued_per_person: int = RUNS_QUEUED_PER_PERSON,
        wait_s: float = RUN_QUEUE_WAIT_S,
        stall_s: float = 2 * 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_in_flight = in_flight
        self.max_queued = queued
        self.max_queued_per_person = queued_per_person
        self.wait_s = wait_s
        # A healthy instance frees a slot at least this often while its line is full (its runs
        # end by their deadline); longer, with questions giving up in line, is a wedge.
        self.stall_s = stall_s
        self._clock = clock
        self._running = 0
        self._queued = 0
        # Room held for questions being stored (`reserve`), which `enter` turns into a place.
        self._reserved = 0
        self._reserved_of: Counter[Person] = Counter()
        self._running_of: Counter[Person] = Counter()
        self._waiting_of: dict[Person, deque[Place]] = {}
        # Waiting people by how many runs they have in flight, each group in turn order (dicts
        # keep insertion order): the next slot goes to the first of the lowest group.
        self._turns: dict[int, dict[Person, None]] = {}
        self._run_s = DEFAULT_RUN_S  # moving average of how long a run holds its slot
        self._full_since: float | None = None  # since when every slot is taken, none freed
        self._expired_since_release = 0

    @property
    def running(self) -> int:
        return self._running

    @property
    def queued(self) -> int:
        return self._queued

    def has_room(self, person: Person, *, places: int | None = None, reach: float = 1.0) -> bool:
        """Whether one more question of this person can be taken (run now or queued): the line
        takes it while it holds fewer than `reach` times its bound (a plan's: more than 1 lets
        a paying person in when a Free flood has filled the line) and the person has fewer than
        `places` waiting (their plan's share; this instance's setting when None). Room held by
        questions still being stored counts as taken."""
        if self._running + self._reserved < self.max_in_flight and not self._queued:
            return True
        free = max(0, self.max_in_flight - self._running)
        ahead = self._queued + max(0, self._reserved - free)
        waiting = len(self._waiting_of.get(person, ())) + max(0, self._reserved_of[person] - free)
        share = self.max_queued_per_person if places is None else places
        return ahead < self.max_queued * reach and waiting < share

    def reserve(self, person: Person, *, places: int | None = None, reach: float = 1.0) -> bool:
        """`has_room`, and that room held until the question `enter`s or is `unreserve`d:
        questions checked at the same moment cannot all take the last place while they are
        being stored (the line's bound was soft)."""
        if not self.has_room(person, places=places, reach=reach):
            return False
        self._reserved += 1
        self._reserved_of[person] += 1
        return True

    def unreserve(self, person: Person) -> None:
        """The reserved question was not kept (a duplicate, a failed store): its room is free."""
        if self._reserved_of[person] > 0:
            self._reserved -= 1
            self._reserved_of[person] -= 1
            if not self._reserved_of[person]:
                del self._reserved_of[person]

    def retry_after_s(self) -> int:
        """Seconds until the line has probably moved on enough to take another question."""
        rounds = (self._queued + 1) / max(1, self.max_in_flight)
        return max(1, math.ceil(rounds * self._run_s))

    def wedged(self) -> bool:
        """Questions are giving up in line and no slot has come free for longer than a healthy
        instance ever takes: its slots are lost or its runs stuck (service/http/routes/health.py).
        A merely busy instance keeps freeing slots, so it is never wedged."""
        full_since = self._full_since
        stalled = full_since is not None and self._clock() - full_since > self.stall_s
        return stalled and self._expired_since_release > 0

    def enter(self, person: Person) -> Place:
        """Take a slot, or a place in the line (callers `reserve` first: the reservation is
        used up here)."""
        self.unreserve(person)
        if self._running < self.max_in_flight and not self._queued:
            place = Place(person, 0)
            self._start(place)
            place.ready.set_result(None)
            return place
        place = Place(person, self._position_for(person))
        own = self._waiting_of.setdefault(person, deque())
        if not own:
            self._turns.setdefault(self._running_of[person], {})[person] = None
        own.append(place)
        self._queued += 1
        return place

    async def wait(self, place: Place) -> None:
        """Until the place has its slot: QueueWaitExpired after `wait_s` in line; leaving the
        line if cancelled while waiting."""
        try:
            async with asyncio.timeout(self.wait_s):
                await asyncio.shield(place.ready)
        except TimeoutError:
            if place.state is _State.RUNNING:  # the slot came as the time ran out
                return
            self.release(place)
            self._expired_since_release += 1
            raise QueueWaitExpired(f"no slot within {self.wait_s:g} s") from None
        except asyncio.CancelledError:
            self.release(place)
            raise

    def release(self, place: Place) -> None:
        """The place is done with: its slot goes to the next in line, or it leaves the line.
        Safe to call more than once, and whatever became of its run."""
        if place.state is _State.WAITING:
            self._leave_line(place)
            place.ready.cancel()
        elif place.state is _State.RUNNING:
            self._run_s += SMOOTHING * (self._clock() - place.since - self._run_s)
            self._full_since = None
            self._expired_since_release = 0
            self._running_of[place.person] -= 1
            self._reorder(place.person, self._running_of[place.person] + 1)
            if not self._running_of[place.person]:
                del self._running_of[place.person]
            self._running -= 1
            self._next()
        place.state = _State.GONE

    def refresh_positions(self) -> None:
        """Every waiting place's position if the line moved on as it stands, in one pass (an
        instance-wide ticker tells each waiting person theirs: service/runs/heartbeat.py).

        It plays `_next` forwards: the person whose turn it is takes their oldest waiting
        question and moves to the end of the next group. A place told N is never told more than
        N afterwards: someone with nothing in flight who arrives later goes first (the line is
        fair), which the person sees as their place holding still, not going back."""
        if not self._queued:
            return
        order = itertools.count()
        turns: list[tuple[int, int, Person]] = []
        for group, people in self._turns.items():
            turns.extend((group, next(order), person) for person in people)
        heapq.heapify(turns)
        taken = dict.fromkeys(self._waiting_of, 0)
        position = 0
        while turns:
            group, _, person = heapq.heappop(turns)
            own = self._waiting_of[person]
            place = own[taken[person]]
            taken[person] += 1
            position += 1
            place.position = min(place.position, position)
            if taken[person] < len(own):
                heapq.heappush(turns, (group + 1, next(order), person))

    # --- the line -------------------------------------------------------------------------------
    def _start(self, place: Place) -> None:
        place.state, place.since = _State.RUNNING, self._clock()
        self._running += 1
        if self._running == self.max_in_flight:
            self._full_since = place.since
        self._running_of[place.person] += 1
        self._reorder(place.person, self._running_of[place.person] - 1)

    def _next(self) -> None:
        """Give free slots to whoever's turn it is."""
        while self._running < self.max_in_flight and self._queued:
            group = min(k for k, people in self._turns.items() if people)
            person = next(iter(self._turns[group]))
            place = self._waiting_of[person][0]
            self._leave_line(place)
            self._start(place)
            place.ready.set_result(None)

    def _leave_line(self, place: Place) -> None:
        own = self._waiting_of[place.person]
        own.remove(place)
        self._queued -= 1
        if not own:
            del self._waiting_of[place.person]
            self._drop_turn(place.person, self._running_of[place.person])

    def _reorder(self, person: Person, was_running: int) -> None:
        """A waiting person's runs in flight changed: they move to the end of their new group."""
        if person in self._waiting_of:
            self._drop_turn(person, was_running)
            self._turns.setdefault(self._running_of[person], {})[person] = None

    def _drop_turn(self, person: Person, group: int) -> None:
        people = self._turns.get(group)
        if people is not None:
            people.pop(person, None)
            if not people:
                del self._turns[group]

    def _position_for(self, person: Person) -> int:
        """The new place's position if the line moved on as it stands: the person's own waiting
        questions, and per other waiting person one per round until this one's turn (one more
        round for those whose turn comes first)."""
        own = len(self._waiting_of.get(person, ()))
        mine = self._running_of[person]
        if not own:  # the common case, without a walk over everyone waiting
            return 1 + sum(len(p) for group, p in self._turns.items() if group <= mine)
        ahead = own
        for group, people in self._turns.items():
            # Those whose turn comes first get one more round before this person's.
            first = group <= mine
            for other in people:
                if other == person:
                    first = False  # the rest of the person's own group comes after
                    continue
                ahead += min(len(self._waiting_of[other]), own + int(first))
        return 1 + ahead


class Slot:
    """`async with Slot(admission, place):` waits for the run's slot and holds it for the
    block's duration (the caller also releases the place in a `finally` of its own, for a run
    that fails before it reaches the block)."""

    def __init__(self, admission: Admission, place: Place) -> None:
        self._admission = admission
        self._place = place

    async def __aenter__(self) -> None:
        await self._admission.wait(self._place)

    async def __aexit__(self, *_: object) -> None:
        self._admission.release(self._place)
