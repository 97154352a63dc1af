"""Judging what a person's sockets saw (a StreamRecord) on the whole story: whose run it was,
whether it finished, tool pairing, replays kept, one run per question (invariants 1 to 7), and
invariant 5 against the messages the person fetched. Each check returns its findings in the
scenario's words; `findings` gathers them with what the record flagged on arrival."""

from __future__ import annotations

from collections.abc import Sequence

from driver.client.contract import AGENT_COMPLETED, AGENT_STARTED, short_id
from driver.client.models import Message
from driver.oracle.recording import Finding, RunRecord, StreamRecord, View, clip
from driver.oracle.rules import missing_types, pairing_problems, place_problems


def answers_to_check(record: StreamRecord) -> list[tuple[str, str]]:
    """(run_id, thread_id) of the person's completed runs whose answer was not yet looked up."""
    due = []
    for run in record.runs.values():
        completed = run.final is not None and run.final.type == AGENT_COMPLETED
        if completed and run.thread_id and not run.answer_checked and record.is_own(run):
            due.append((run.run_id, run.thread_id))
    return due


def check_answer_visible(
    record: StreamRecord, run_id: str, messages: Sequence[Message], *, on_arrival: bool = False
) -> None:
    """Invariant 5: the thread's messages show the answer agent_completed announced
    (`on_arrival`: read the moment it arrived, driver/oracle/answer_lookout.py)."""
    run = record.runs.get(run_id)
    if run is None or run.final is None or run.final.type != AGENT_COMPLETED:
        return
    run.answer_checked = True
    message_id, text = run.final.payload.get("final_message_id"), run.final.payload.get("text")
    name = record.run_name(run)
    found = next((m for m in messages if m.message_id == message_id), None)
    if found is None:
        when = (
            "the history read the moment the answer arrived does not hold it yet"
            if on_arrival
            else "the thread's messages do not show its answer"
        )
        record.flag(f"{name} finished, but {when} (message {short_id(message_id)})", run_id)
    elif found.role != "assistant" or found.text != text:
        record.flag(
            f"{name} finished with {clip(text)}, but the thread shows "
            f"{found.role} message {clip(found.text)}",
            run_id,
        )
    elif found.run_id not in (None, run.run_id):
        record.flag(f"{name}'s answer is filed under run {short_id(found.run_id)}", run_id)


def isolation(record: StreamRecord) -> list[Finding]:
    """Invariant 4: only the person's own runs reach the person's sockets."""
    found: list[Finding] = []
    for run in record.runs.values():
        if not run.log or record.is_own(run):
            continue
        sockets = sorted({socket for (socket, run_id) in record.views if run_id == run.run_id})
        owner = record.directory.owner_of(run_id=run.run_id, thread_id=run.thread_id)
        whose = f"{owner}'s" if owner and owner != record.person else "someone else's"
        found.append(
            (
                run.run_id,
                f"{' and '.join(sockets)} received {len(run.log)} event(s) of {whose} run "
                f"{short_id(run.run_id)} (thread {short_id(run.thread_id)}), "
                f"which is not {record.person}'s",
            )
        )
    return found


def starts(record: StreamRecord) -> list[Finding]:
    """Invariant 1 at the start: a socket open before the question sees it from seq 1."""
    found: list[Finding] = []
    for (socket, run_id), view in record.views.items():
        first = view.segments[0]
        run = record.runs[run_id]
        if not first.events or first.events[0].seq == 1 or not record.is_own(run):
            continue
        opened_at = record.sockets[socket].opened_at
        sent_at = run.sent_at
        was_there = socket == run.sender or (sent_at is not None and opened_at < sent_at)
        if was_there:
            event = first.events[0]
            found.append(
                (
                    run_id,
                    f"{record.run_name(run)} began on {socket} at seq {event.seq} "
                    f"({event.describe()}) instead of agent_started seq 1",
                )
            )
    return found


def unfinished(record: StreamRecord) -> list[Finding]:
    """Invariant 2: a socket still open that saw a run start, or resumed it, sees it end."""
    found: list[Finding] = []
    for (socket, run_id), view in record.views.items():
        events = view.events
        run = record.runs[run_id]
        if view.saw_final or view.resync or record.sockets[socket].closed:
            continue
        if not events:
            if not resumed_unfinished(view, run):
                continue
            found.append(
                (run_id, f"{socket} resumed {record.run_name(run)} but never saw it finish")
            )
            continue
        if not record.is_own(run):
            continue  # someone else's run: the isolation finding says all there is to say
        last = events[-1]
        found.append(
            (
                run_id,
                f"{socket} never saw {record.run_name(run)} finish "
                f"(last event: {last.describe()}, seq {last.seq})",
            )
        )
    return found


def resumed_unfinished(view: View, run: RunRecord) -> bool:
    """The socket resumed the run after a seq before its end (as far as anyone saw)."""
    last = view.segments[-1]
    if last.expected_first is None:
        return False
    final_seq = run.final.seq if run.final is not None else None
    return final_seq is None or final_seq >= last.expected_first


def resumes_of_others(record: StreamRecord) -> list[Finding]:
    """Invariant 4 for resumes: nobody is told anything about a run that is not theirs."""
    found: list[Finding] = []
    for (socket, run_id), view in record.views.items():
        run = record.runs[run_id]
        answered = view.resync or any(s.expected_first is not None for s in view.segments)
        owner = record.directory.owner_of(run_id=run_id, thread_id=run.thread_id)
        if answered and owner is not None and owner != record.person:
            found.append((run_id, f"{socket} was answered about {owner}'s run {short_id(run_id)}"))
    return found


def replays(record: StreamRecord, require_finished: bool) -> list[Finding]:
    """Invariant 6: a replay delivers every event it announced (`from`..`to`)."""
    found: list[Finding] = []
    for (socket, run_id), view in record.views.items():
        closed = record.sockets[socket].closed is not None
        for segment in view.segments:
            if segment.expected_first is None or segment.promised_to is None:
                continue
            reached = segment.events[-1].seq if segment.events else None
            reached = reached or segment.expected_first - 1
            ended_early = segment.final_seq is not None and segment.final_seq < (
                segment.promised_to
            )
            if reached >= segment.promised_to and not ended_early:
                continue
            if ended_early or (require_finished and not closed):
                name = record.run_name(record.runs[run_id])
                found.append(
                    (
                        run_id,
                        f"{socket} was promised {name}'s events {segment.expected_first} to "
                        f"{segment.promised_to} but the replay stopped at seq {reached}",
                    )
                )
    return found


def whole_runs(record: StreamRecord) -> list[Finding]:
    """Invariants 3 and 7 on each run whose events from seq 1 to the final are all known."""
    found: list[Finding] = []
    for run in record.runs.values():
        if run.final is None or run.final.seq is None:
            continue
        seqs = range(1, run.final.seq + 1)
        if any(s not in run.log for s in seqs):
            continue
        name, events = record.run_name(run), [run.log[s] for s in seqs]
        sentences = pairing_problems(name, events) + place_problems(name, events)
        if run.final.type == AGENT_COMPLETED:
            sentences += missing_types(name, events)
        started, ack = events[0], run.ack
        if ack is not None and started.type == AGENT_STARTED:
            said = (
                started.payload.get("client_msg_id"),
                started.payload.get("input_message_id"),
            )
            if said != (ack.get("client_msg_id"), ack.get("message_id")):
                sentences.append(
                    f"{name} started for message {short_id(said[1])} but the ack named "
                    f"message {short_id(ack.get('message_id'))}"
                )
        found += [(run.run_id, sentence) for sentence in sentences]
    return found


def same_question(record: StreamRecord) -> list[Finding]:
    """One question (client_msg_id) starts at most one run, however often it is sent."""
    runs_by_question: dict[str, set[str]] = {}
    for run in record.runs.values():
        started = run.log.get(1)
        if started is not None and started.type == AGENT_STARTED and record.is_own(run):
            question = str(started.payload.get("client_msg_id"))
            runs_by_question.setdefault(question, set()).add(run.run_id)
    found: list[Finding] = []
    for question, runs in runs_by_question.items():
        if len(runs) > 1:
            listed = ", ".join(short_id(r) for r in sorted(runs))
            sentence = (
                f"{record.person} asked one question ({short_id(question)}) and it started "
                f"{len(runs)} runs: {listed}"
            )
            found += [(run_id, sentence) for run_id in sorted(runs)]
    return found


def findings(
    record: StreamRecord, *, require_finished: bool, run_id: str | None = None
) -> list[str]:
    """Everything wrong so far (only about that run, if given); `require_finished` also flags
    runs a still-open socket saw start but never saw end."""
    late = isolation(record) + starts(record) + whole_runs(record) + same_question(record)
    late += resumes_of_others(record) + replays(record, require_finished)
    if require_finished:
        late += unfinished(record)
    found: list[str] = []
    for about, sentence in record.found + late:
        if (run_id is None or about == run_id) and sentence not in found:
            found.append(sentence)
    return found
