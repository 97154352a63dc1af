"""The line of questions (service/runs/admission.py): fair between people, bounded per person and
in time, slots given back exactly once, and a wedge told apart from a busy moment (issue 18)."""

from __future__ import annotations

import asyncio

import pytest

from service.runs.admission import Admission, Place, QueueWaitExpired


class Clock:
    """Time for the wedge rule, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def started(places: list[Place]) -> list[str]:
    return [str(p.person) for p in places if p.ready.done() and not p.ready.cancelled()]


async def expired(admission: Admission) -> None:
    """Bob asks and waits in line until he gives up (at once: the bound is tiny)."""
    async with asyncio.timeout(5):  # unbounded, it would wait for ever
        await admission.wait(admission.enter("bob"))


def serve_in_turn(admission: Admission, running: Place, places: list[Place]) -> list[str]:
    """Who gets the slot, one after the other, as each run ends in turn (one slot)."""
    order = []
    pending = list(places)
    while pending:
        admission.release(running)
        running = next(p for p in pending if p.ready.done())
        pending.remove(running)
        order.append(str(running.person))
    return order


async def test_a_person_with_nothing_running_goes_before_someone_elses_flood() -> None:
    admission = Admission(in_flight=1, queued=10, queued_per_person=10)
    flood = [admission.enter("mallory") for _ in range(4)]
    alice = admission.enter("alice")
    assert alice.position == 1, "Alice is next in line, before Mallory's waiting questions"
    admission.release(flood[0])
    assert started([*flood[1:], alice]) == ["alice"]


async def test_waiting_people_take_turns() -> None:
    admission = Admission(in_flight=1, queued=10, queued_per_person=10)
    mallory = [admission.enter("mallory") for _ in range(4)]
    bob = [admission.enter("bob") for _ in range(3)]
    order = serve_in_turn(admission, mallory[0], [*mallory[1:], *bob])
    # First come, first served would be mallory x3, then bob x3.
    assert order == ["bob", "mallory", "bob", "mallory", "bob", "mallory"]


async def test_a_free_slot_goes_to_whoever_has_fewest_runs_in_flight() -> None:
    admission = Admission(in_flight=3, queued=10, queued_per_person=10)
    mallory = [admission.enter("mallory") for _ in range(5)]  # 3 running, 2 waiting
    bob = admission.enter("bob")
    admission.release(mallory[0])
    assert started([*mallory[3:], bob]) == ["bob"]
    admission.release(mallory[1])  # Mallory 1 running, Bob 1: Mallory's turn
    assert started(mallory[3:]) == ["mallory"]


async def test_each_persons_own_questions_keep_their_order() -> None:
    admission = Admission(in_flight=1, queued=10, queued_per_person=10)
    first = admission.enter("alice")
    waiting = [admission.enter("alice") for _ in range(3)]
    assert [p.position for p in waiting] == [1, 2, 3]
    admission.release(first)
    assert waiting[0].ready.done() and not waiting[1].ready.done()


async def test_a_newcomers_place_counts_one_question_per_person_waiting() -> None:
    admission = Admission(in_flight=1, queued=20, queued_per_person=10)
    admission.enter("mallory")
    for _ in range(5):
        admission.enter("mallory")
    assert admission.enter("alice").position == 1
    assert admission.enter("bob").position == 2
    # Alice's second question comes after her first, Bob's and one of Mallory's.
    assert admission.enter("alice").position == 4


async def test_one_person_cannot_fill_the_line() -> None:
    admission = Admission(in_flight=1, queued=10, queued_per_person=3)
    for _ in range(4):  # one running, three waiting
        assert admission.has_room("mallory")
        admission.enter("mallory")
    assert not admission.has_room("mallory"), "Mallory's share of the line is taken"
    assert admission.has_room("alice"), "others still get in"


async def test_the_whole_line_still_has_its_bound() -> None:
    admission = Admission(in_flight=1, queued=2, queued_per_person=5)
    for person in ("a", "b", "c"):
        admission.enter(person)
    assert not admission.has_room("d")


async def test_a_place_waits_in_line_at_most_its_bound() -> None:
    admission = Admission(in_flight=1, queued=10, wait_s=0.05)
    admission.enter("alice")
    waiting = admission.enter("bob")
    async with asyncio.timeout(5):  # unbounded, it would wait for ever
        with pytest.raises(QueueWaitExpired):
            await admission.wait(waiting)
    assert admission.queued == 0, "the question that gave up left the line"


async def test_a_slot_is_given_back_once_however_often_its_run_releases_it() -> None:
    admission = Admission(in_flight=2, queued=10)
    first, second = admission.enter("alice"), admission.enter("bob")
    admission.release(first)
    admission.release(first)
    assert admission.running == 1
    waiting = [admission.enter("carol"), admission.enter("dave")]
    assert admission.running == 2 and admission.queued == 1
    admission.release(waiting[1])  # gave up in line: leaves it, frees nothing
    admission.release(waiting[1])
    assert (admission.running, admission.queued) == (2, 0)
    admission.release(second)
    admission.release(waiting[0])
    assert (admission.running, admission.queued) == (0, 0)


async def test_a_place_cancelled_while_waiting_leaves_the_line() -> None:
    admission = Admission(in_flight=1, queued=10)
    running = admission.enter("alice")
    waiting = admission.enter("bob")
    task = asyncio.create_task(admission.wait(waiting))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert admission.queued == 0
    admission.release(running)
    assert admission.running == 0


async def test_a_line_where_no_slot_comes_free_is_wedged() -> None:
    clock = Clock()
    admission = Admission(in_flight=1, queued=10, wait_s=0.01, stall_s=60, clock=clock)
    lost = admission.enter("alice")  # a run that never gives its slot back
    with pytest.raises(QueueWaitExpired):
        await expired(admission)
    assert not admission.wedged(), "not yet: a run may legitimately hold its slot a while"
    clock.now += 61
    assert admission.wedged()
    admission.release(lost)
    assert not admission.wedged(), "a slot came free: the line moves again"


async def test_a_busy_line_that_keeps_moving_is_not_wedged() -> None:
    clock = Clock()
    admission = Admission(in_flight=1, queued=10, wait_s=0.01, stall_s=60, clock=clock)
    clock.now += 3600  # idle for an hour, then busy
    running = admission.enter("alice")
    for _ in range(3):
        clock.now += 50
        with pytest.raises(QueueWaitExpired):  # questions give up: the line is long...
            await expired(admission)
        admission.release(running)  # ...but slots keep coming free
        running = admission.enter("carol")
        assert not admission.wedged()
    clock.now += 50
    assert not admission.wedged()


async def test_nobody_waiting_is_no_wedge() -> None:
    clock = Clock()
    admission = Admission(in_flight=1, queued=10, stall_s=60, clock=clock)
    admission.enter("alice")
    clock.now += 3600
    assert not admission.wedged(), "a long run with nobody waiting harms nobody"


async def test_questions_being_stored_hold_their_room_so_the_bound_is_hard() -> None:
    """Many people ask at the same moment: each question is checked, then stored, then takes
    its place. Checked together, they must not all find the last place free."""
    admission = Admission(in_flight=1, queued=2, queued_per_person=2)
    people = ["ann", "ben", "cat", "dan"]
    held = [admission.reserve(person) for person in people]  # all before any is stored
    assert held == [True, True, True, False], "one slot and two places: the fourth is busy"
    admission.unreserve("cat")  # cat's question turned out to be a resend
    assert admission.reserve("dan")
    places = [admission.enter(person) for person in ("ann", "ben", "dan")]
    assert (admission.running, admission.queued) == (1, 2)
    assert not admission.reserve("eve"), "the reservations became the places they held"
    for place in places:
        admission.release(place)


async def test_one_person_asking_at_the_same_moment_keeps_their_share() -> None:
    """A person's reserved questions count against their share once the free slots are spoken
    for: with one slot and a share of two, three at once are taken and a fourth is busy."""
    admission = Admission(in_flight=1, queued=10, queued_per_person=2)
    assert [admission.reserve("mallory") for _ in range(4)] == [True, True, True, False]
    assert admission.reserve("alice"), "others still get in"


# -- places as the line moves (issue 19)
async def test_refreshed_places_are_the_order_the_line_serves() -> None:
    admission = Admission(in_flight=1, queued=20, queued_per_person=10)
    running = admission.enter("mallory")
    people = ["mallory", "mallory", "mallory", "bob", "alice", "bob", "carol", "alice"]
    places = [admission.enter(person) for person in people]
    for waiting in places:  # as if never told a place (a place told never goes back)
        waiting.position = len(places)
    admission.refresh_positions()
    told = sorted(places, key=lambda p: p.position)
    assert [p.position for p in told] == list(range(1, len(places) + 1))
    assert [str(p.person) for p in told] == serve_in_turn(admission, running, places)


async def test_a_refreshed_place_never_goes_back() -> None:
    admission = Admission(in_flight=1, queued=20, queued_per_person=10)
    running = admission.enter("mallory")
    flood = [admission.enter("mallory") for _ in range(3)]
    admission.refresh_positions()
    assert [p.position for p in flood] == [1, 2, 3]
    # Alice has nothing in flight: she goes first (the line is fair) ...
    alice = admission.enter("alice")
    admission.refresh_positions()
    assert alice.position == 1
    # ... and Mallory hears her place hold still rather than go back, then move on.
    assert [p.position for p in flood] == [1, 2, 3]
    admission.release(running)
    admission.refresh_positions()
    assert [p.position for p in flood] == [1, 2, 3]
    admission.release(alice)
    admission.refresh_positions()
    assert flood[0].ready.done() and [p.position for p in flood[1:]] == [1, 2]


async def test_refreshing_an_empty_line_changes_nothing() -> None:
    admission = Admission(in_flight=1, queued=10)
    running = admission.enter("alice")
    admission.refresh_positions()
    assert running.position == 0
