"""Delivery as a person lives it: devices on other servers, dropped connections, lost
confirmations, catching up, and what each device ended up seeing. One task or question per step.

The exactness of every catch-up (each missed event once, in order, then live ones) is checked by
the StreamVerifier on every socket; the questions here say what a scenario looks at in words.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.questions import TheMessages, TheRecordOfTheRun
from driver.actors.tasks import Ask, CloseChat, OpenChat, Reconnect
from driver.client.contract import AGENT_ERROR, CloseCode, ControlType, Frame, TimedEvent, short_id
from driver.client.errors import FrameRefused
from driver.client.eventually import eventually
from driver.client.models import Ack
from driver.client.socket import ChatSocket
from driver.client.stream import StreamStalled


def server_of(person: Actor, device: str = DEFAULT_DEVICE) -> str:
    """The service URL that device connects to."""
    ws_url = person.chat.url_of(device)
    return "http" + ws_url.removeprefix("ws").removesuffix("/ws")


async def open_on_poor_link(person: Actor, device: str) -> ChatSocket:
    return await person.attempts_to(OpenChat(device, poor_link=True))


async def drop_connection(person: Actor, device: str = DEFAULT_DEVICE) -> None:
    """The device goes offline (it closes its end; the service sees it leave)."""
    await person.attempts_to(CloseChat(device))
    person.note(f"{device} went offline")


# -- asking when confirmations get lost
@dataclass(frozen=True)
class Unconfirmed:
    question: str
    client_msg_id: str


async def ask_and_lose_confirmation(
    person: Actor, question: str, device: str = DEFAULT_DEVICE
) -> Unconfirmed:
    """Send a question and lose the connection before its confirmation can be read."""
    socket = await person.attempts_to(OpenChat(device))
    socket.stop_reading()
    msg_id = await socket.post(question)
    await socket.close()
    note = f"lost the connection before question {short_id(msg_id)} was confirmed"
    person.note(note)
    return Unconfirmed(question, msg_id)


async def send_again(person: Actor, pending: Unconfirmed, device: str = DEFAULT_DEVICE) -> Ack:
    """Reconnect if need be and send the same question with the same id, as a client that
    never saw the confirmation must. A repeat's run already started, so the device catches up
    on what it has not seen of it. The run is then the person's last one."""
    await person.attempts_to(
        Ask(pending.question, device=device, client_msg_id=pending.client_msg_id)
    )
    ack = person.last_ack
    assert ack is not None  # ask() records the confirmation it waited for
    seen_end = any(e.is_final for e in events_on(person, ack.run_id, device))
    if ack.duplicate and not seen_end:
        socket = await person.attempts_to(OpenChat(device))
        await socket.resume([(ack.run_id, last_in_order(person, ack.run_id, device))])
    return ack


# -- catching up
async def try_resume(
    person: Actor, run_id: str, last_seq: int, device: str = DEFAULT_DEVICE
) -> Frame | FrameRefused:
    """Ask to catch up on one run after `last_seq`: the answer, or the refusal."""
    socket = await person.attempts_to(OpenChat(device))
    try:
        answers = await socket.resume([(run_id, last_seq)], timeout=person.chat.timeout)
    except FrameRefused as refusal:
        person.note(f"could not catch up: {refusal.code}", kind="error")
        return refusal
    return answers[run_id]


def resume_answers(person: Actor, device: str = DEFAULT_DEVICE) -> list[Frame]:
    """The `resumed` / `resync_required` frames the device's latest connection received."""
    socket = person.chat.connections_of(device)[-1]
    return [
        f
        for _, f in socket.received
        if f.get("type") in (ControlType.RESUMED, ControlType.RESYNC_REQUIRED)
    ]


def events_on(person: Actor, run_id: str, device: str = DEFAULT_DEVICE) -> list[TimedEvent]:
    """Every event of that run the device received, over all its connections, in arrival order."""
    return person.chat.events_on(run_id, device)


def last_in_order(person: Actor, run_id: str, device: str = DEFAULT_DEVICE) -> int:
    """The highest seq the device saw without a gap from 1 (what it resumes after)."""
    seen = {e.seq for e in events_on(person, run_id, device)}
    last = 0
    while last + 1 in seen:
        last += 1
    return last


def seqs_after_resume(person: Actor, run_id: str, device: str = DEFAULT_DEVICE) -> list[int]:
    """The seqs the device's latest connection received for the run after its `resumed`."""
    socket = person.chat.connections_of(device)[-1]
    seen: list[int] = []
    resumed = False
    for _, frame in socket.received:
        if frame.get("run_id") != run_id:
            continue
        if frame.get("type") == ControlType.RESUMED:
            resumed = True
        elif resumed and isinstance(frame.get("seq"), int):
            seen.append(frame["seq"])
    return seen


async def wait_for_final_on(
    person: Actor, run_id: str, device: str = DEFAULT_DEVICE, timeout: float = 10.0
) -> TimedEvent:
    """The run's final event on the device's latest connection."""
    stream = person.chat.connections_of(device)[-1].run(run_id)
    return await stream.wait_final(timeout, who=f"{person.name}'s {device}")


async def follow_to_answer(
    person: Actor, device: str = DEFAULT_DEVICE, timeout: float = 10.0
) -> TimedEvent:
    """The last run's final event on the device. When the service closes the chat because the
    pass it was opened with has ended (PASS_ENDED), the device reopens it with its current pass
    and catches up, as the app does; any other end fails."""
    run = person.last_run
    if run is None:
        raise AssertionError(f"{person.name} has not asked anything yet")
    socket = person.chat.connections_of(device)[-1]
    try:
        return await socket.run(run.run_id).wait_final(timeout, who=f"{person.name}'s {device}")
    except StreamStalled:
        if socket.is_open or socket.close_code != CloseCode.PASS_ENDED:
            raise
    await person.attempts_to(Reconnect(device))
    return await wait_for_final_on(person, run.run_id, device, timeout)


def runs_asked(person: Actor) -> list[str]:
    """Every run the person's questions started (from the confirmations they read)."""
    return person.chat.runs_asked()


def missing_answers(person: Actor, device: str, run_ids: Sequence[str]) -> list[str]:
    """Runs among `run_ids` whose final event the device never received."""
    return [r for r in run_ids if not any(e.is_final for e in events_on(person, r, device))]


def steps_not_once_in_order(person: Actor, device: str, run_ids: Sequence[str]) -> list[str]:
    """For each run, the device (over all its connections) must have received every step the
    asking device saw, each once and in order (seq 1, 2, 3, ...); what it got wrong, per run."""
    problems = []
    others = [d for d in person.chat.sockets if d != device]
    for run_id in run_ids:
        got = [e.seq for e in events_on(person, run_id, device)]
        steps = max((len(events_on(person, run_id, d)) for d in others), default=len(got))
        if got != list(range(1, steps + 1)):
            problems.append(
                f"question {short_id(run_id)}: received steps {got}, not 1 to {steps} once each"
            )
    return problems


def failure_of(final: TimedEvent) -> tuple[str, str]:
    """(error code, message) of an agent_error; AssertionError if the run did not fail."""
    if final.type != AGENT_ERROR:
        raise AssertionError(f"the assistant did not fail: it ended with {final.describe()}")
    return str(final.payload.get("error")), str(final.payload.get("message"))


async def wait_until_stored(
    person: Actor, event_type: str, *, tool: str | None = None, timeout: float = 10.0
) -> None:
    """Wait until the last run's stored record has an event of that type (and tool)."""

    async def stored() -> bool:
        log = await person.asks_for(TheRecordOfTheRun())
        return any(
            e.get("type") == event_type
            and (tool is None or (e.get("payload") or {}).get("tool") == tool)
            for e in log
        )

    what = f"{event_type} {tool or ''}".strip()
    describe = f"{person.name}'s record never showed {what}"
    found: bool = await eventually(stored, timeout=timeout, describe=describe)
    assert found


async def wait_until_answer_stored(person: Actor, timeout: float = 10.0) -> None:
    """Wait until the current conversation's history holds an answer to the last question."""
    run_id = person.last_run.run_id if person.last_run is not None else None

    async def answered() -> bool:
        return any(
            m.role == "assistant" and m.run_id == run_id
            for m in await person.asks_for(TheMessages())
        )

    describe = f"{person.name}'s history never showed the answer"
    found: bool = await eventually(answered, timeout=timeout, describe=describe)
    assert found


async def wait_until_seen(
    person: Actor, event_type: str, *, tool: str | None = None, timeout: float = 10.0
) -> TimedEvent:
    """The first event of that type (and tool) in the last run, as the person's device sees it."""
    run = person.last_run
    if run is None:
        raise AssertionError(f"{person.name} has not asked anything yet")

    def seen() -> TimedEvent:
        for event in run.events:
            if event.type == event_type and (tool is None or event.payload.get("tool") == tool):
                return event
        raise AssertionError(f"{person.name} has seen {[e.describe() for e in run.events]}")

    what = f"{event_type} {tool or ''}".strip()
    describe = f"{person.name} never saw {what}"
    found: TimedEvent = await eventually(seen, timeout=timeout, describe=describe)
    return found


async def check_caught_up(
    person: Actor, device: str = DEFAULT_DEVICE, timeout: float = 5.0
) -> list[int]:
    """The device's latest connection resumed the last run right after what the device had
    seen before, then received every seq the replay announced (waiting up to `timeout` for
    them), and every seq from there on exactly once, in order. Returns the announced seqs."""
    check = functools.partial(_caught_up, person, device)
    replayed: list[int] = await eventually(
        check, timeout=timeout, describe=f"{person.name}'s {device} did not catch up"
    )
    return replayed


def _caught_up(person: Actor, device: str) -> list[int]:
    run = person.last_run
    if run is None:
        raise AssertionError(f"{person.name} has not asked anything yet")
    connections = person.chat.connections_of(device)
    earlier = {
        e.seq
        for s in connections[:-1]
        if run.run_id in s.streams
        for e in s.streams[run.run_id].events
    }
    seen_before = 0
    while seen_before + 1 in earlier:
        seen_before += 1
    answers = [a for a in resume_answers(person, device) if a.get("run_id") == run.run_id]
    who = f"{person.name}'s {device}"
    if not answers or answers[-1].get("type") != ControlType.RESUMED:
        raise AssertionError(f"{who} was not resumed on run {short_id(run.run_id)}: {answers}")
    first, last = answers[-1].get("from"), answers[-1].get("to")
    if first != seen_before + 1 or not isinstance(last, int):
        raise AssertionError(
            f"{who} had seen up to seq {seen_before} but was resumed {answers[-1]}"
        )
    after = seqs_after_resume(person, run.run_id, device)
    if after != list(range(first, first + len(after))):
        raise AssertionError(f"{who} received seqs {after} after resuming from {first}")
    replayed = list(range(first, last + 1))
    if after[: len(replayed)] != replayed:
        raise AssertionError(f"{who} was promised seqs {first}..{last} but got {after}")
    return replayed


def events_after_resume(person: Actor, run_id: str) -> list[Frame]:
    """Events of that run any of the person's connections received after asking to resume it."""
    sent: list[Frame] = []
    for socket in (s for device in person.chat.sockets for s in person.chat.connections_of(device)):
        asked = False
        for _, frame in socket.received:
            if frame.get("run_id") != run_id and frame.get("ref") != run_id:
                continue
            if frame.get("type") in (
                ControlType.RESUMED,
                ControlType.RESYNC_REQUIRED,
                ControlType.ERROR,
            ):
                asked = True
            elif asked:
                sent.append(frame)
    return sent


async def stored_matches_seen(person: Actor) -> list[dict[str, Any]]:
    """The last run's stored record; it must hold exactly the events the person saw live."""
    run = person.last_run
    if run is None:
        raise AssertionError(f"{person.name} has not asked anything yet")
    await run.wait_final(person.chat.timeout, who=person.name)
    stored = await person.asks_for(TheRecordOfTheRun(run.run_id))
    seen = [(e.seq, e.type) for e in run.events]
    kept = [(e.get("seq"), e.get("type")) for e in stored]
    if kept != seen:
        raise AssertionError(f"{person.name} saw {seen} but the record keeps {kept}")
    return stored


async def reconnect_elsewhere(
    person: Actor, device: str, service_url: str, timeout: float = 10.0
) -> TimedEvent:
    """The device reconnects to that server, catches up, and waits for the run's end there."""
    run = person.last_run
    if run is None:
        raise AssertionError(f"{person.name} has not asked anything yet")
    person.chat.serve_from(device, service_url)
    await person.attempts_to(Reconnect(device))
    return await wait_for_final_on(person, run.run_id, device, timeout)


async def wait_for_every_answer_on(person: Actor, device: str, timeout: float = 10.0) -> list[str]:
    """Wait until the device has received the final event of every run the person asked;
    the runs it still lacks after `timeout`."""
    runs = runs_asked(person)

    def complete() -> bool:
        return not missing_answers(person, device, runs)

    try:
        await eventually(complete, timeout=timeout, describe="the device kept missing answers")
    except AssertionError:
        pass
    return missing_answers(person, device, runs)
