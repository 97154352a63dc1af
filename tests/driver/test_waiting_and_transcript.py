"""The driver's small parts: eventually, run streams, the transcript, error bodies."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from driver.client.contract import TimedEvent
from driver.client.errors import ApiError, error_fields
from driver.client.eventually import eventually
from driver.client.stream import RunStream, StreamStalled
from driver.evidence.transcript import Transcript
from tests.driver.test_verifier import RUN, ack, good_run


async def test_eventually_returns_once_the_check_holds() -> None:
    calls = 0

    def check() -> int:
        nonlocal calls
        calls += 1
        assert calls >= 3, f"only {calls} calls"
        return calls

    assert await eventually(check, timeout=2, interval=0.01, describe="three calls") == 3


async def test_eventually_retries_an_async_check_that_answers_false() -> None:
    flips = iter([False, False, True])

    async def check() -> bool:
        return next(flips)

    assert await eventually(check, timeout=2, interval=0.01, describe="a flip") is True


async def test_eventually_explains_what_never_happened() -> None:
    def check() -> None:
        raise AssertionError("Alice still sees 2 threads")

    with pytest.raises(AssertionError) as failure:
        await eventually(check, timeout=0.1, interval=0.02, describe="Alice sees 3 threads")
    message = str(failure.value)
    assert message.startswith("Alice sees 3 threads: not so within 0.1 s")
    assert "last: AssertionError: Alice still sees 2 threads" in message


async def test_eventually_lets_other_errors_through() -> None:
    def check() -> None:
        raise ApiError(500, "http_500", "boom")

    with pytest.raises(ApiError):
        await eventually(check, timeout=1, describe="never retried")


async def test_eventually_stops_a_check_that_hangs() -> None:
    async def check() -> None:
        await asyncio.Event().wait()

    started = time.monotonic()
    with pytest.raises(AssertionError, match="still running"):
        await eventually(check, timeout=0.1, interval=0.02, describe="a hanging check")
    assert time.monotonic() - started < 1


async def test_a_stream_wakes_its_waiter_on_the_final_event() -> None:
    stream = RunStream(RUN, owner="Alice's laptop")
    stream.mark_asked("How can we cut our spend?", time.monotonic())

    async def feed() -> None:
        for frame in good_run():
            await asyncio.sleep(0)
            stream.add(TimedEvent(time.monotonic(), frame))

    feeder = asyncio.create_task(feed())
    final = await stream.wait_final(2)
    await feeder
    assert final.type == "agent_completed" and final.seq == 6
    assert [name for name, _ in stream.timeline()][:3] == [
        "agent_started",
        "agent_thinking",
        'tool_executing "usage_report"',
    ]
    assert (await stream.wait_for("tool_completed", 0)).seq == 4


async def test_a_stalled_stream_says_where_it_stopped() -> None:
    stream = RunStream(RUN, owner="Alice's laptop")
    stream.mark_asked("q", time.monotonic())
    for frame in good_run()[:3]:
        stream.add(TimedEvent(time.monotonic(), frame))
    with pytest.raises(StreamStalled) as failure:
        await stream.wait_final(0.05, who="Alice")
    message = str(failure.value)
    assert message.startswith("Alice never saw the assistant finish within 0.05 s")
    assert '(last event: tool_executing "usage_report" after 0.0 s' in message


async def test_a_closed_socket_ends_the_wait_at_once() -> None:
    stream = RunStream(RUN, owner="Alice's laptop")
    waiter = asyncio.create_task(stream.wait_final(5))
    await asyncio.sleep(0)
    stream.end("the connection closed with 4401 pass expired or revoked")
    with pytest.raises(StreamStalled, match="4401 pass expired"):
        await waiter


def test_the_transcript_tells_the_story_with_timings() -> None:
    transcript = Transcript("golden path")
    laptop = "Alice's laptop"
    at = 10.0
    transcript.socket_opened(laptop, at)
    send = {"type": "send", "client_msg_id": "q-1", "text": "How can we cut our spend?"}
    transcript.frame_sent(laptop, json.dumps(send), send, at + 1)
    transcript.frame_received(laptop, ack(), at + 1.01)
    for i, frame in enumerate(good_run()):
        transcript.frame_received(laptop, frame, at + 1.1 + i / 10)
    transcript.socket_closed(laptop, 1000, "", at + 2)

    kinds = [e.kind for e in transcript.entries]
    assert kinds[:3] == ["note", "said", "note"]
    assert kinds.count("event") == 5 and kinds.count("answer") == 1 and kinds[-1] == "close"
    said = next(e for e in transcript.entries if e.kind == "said")
    assert said.t == 0 and said.detail == "How can we cut our spend?"
    timings = {row["milestone"]: row["seconds"] for row in transcript.timings()}
    assert timings["ack"] == pytest.approx(0.01)
    assert timings["first event"] == pytest.approx(0.1)
    assert timings["final"] == timings["agent_completed"] == pytest.approx(0.6)
    body = json.loads(transcript.to_json())
    assert body["title"] == "golden path" and len(body["entries"]) == len(transcript.entries)
    assert "agent_completed" in transcript.timings_table()
    assert "answer: Save $3,100 a month" in transcript.render()


def test_an_error_body_is_read_from_the_contract_shape() -> None:
    body = json.dumps({"error": "rate_limited", "message": "slow down", "retry_after": 30})
    assert error_fields(429, body, {}) == ("rate_limited", "slow down", 30.0)
    assert error_fields(429, body, {"Retry-After": "12"})[2] == 12.0


def test_a_non_json_server_error_is_still_readable() -> None:
    code, message, retry_after = error_fields(500, "<h1>Internal Server Error</h1>", {})
    assert code == "http_500" and "Internal Server Error" in message and retry_after is None
    error = ApiError(500, code, message, request="POST /api/usage")
    assert str(error).startswith("POST /api/usage answered 500 http_500 (a server error")
