"""Generated frames thrown at the socket's frame parser: whatever arrives, the answer is a frame
or one of the contract's error codes, never another exception."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from service.delivery.chat.frames import PingFrame, ResumeFrame, SendFrame, parse_frame
from service.errors import FrameError

# The socket error codes chat.v1 allows for a refused frame.
CONTRACT_CODES = {"invalid_json", "invalid_frame", "unknown_type"}
TYPES = ["send", "resume", "ping", "pong", "ack", "", "SEND", "send\x00", "__class__"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.uuids().map(str),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
frames = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(TYPES) | json_values,
        "client_msg_id": st.uuids().map(str) | json_values,
        "thread_id": st.uuids().map(str) | json_values,
        "text": st.text(max_size=50) | json_values,
        "runs": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "run_id": st.uuids().map(str) | json_values,
                    "last_seq": st.integers(min_value=-5, max_value=10**12) | json_values,
                },
            )
            | json_values,
            max_size=60,
        )
        | json_values,
    },
)


def _encode(value: Any) -> str:
    # allow_nan: Python writes NaN / Infinity, which a strict parser must refuse, not crash on.
    return json.dumps(value, allow_nan=True)


def _check(raw: str) -> None:
    try:
        frame = parse_frame(raw)
    except FrameError as refused:
        assert refused.code in CONTRACT_CODES, refused.code
        assert refused.message
    else:
        assert isinstance(frame, SendFrame | ResumeFrame | PingFrame)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames.map(_encode))
def test_structured_frames_get_a_frame_or_a_contract_error(raw: str) -> None:
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(json_values.map(_encode))
def test_any_json_value_gets_a_frame_or_a_contract_error(raw: str) -> None:
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
@example('{"type": "send", "text": "\\ud800", "client_msg_id": "' + str(uuid.uuid4()) + '"}')
@example('{"type": "send", "text": "\\u0000"}')
@example('{"type": "ping", "type": "send"}')
@example("[" * 5000)
@example('{"type": "resume", "runs": [{"run_id": "x", "last_seq": 1e999}]}')
@example("1" * 5000)
def test_any_text_gets_a_frame_or_a_contract_error(raw: str) -> None:
    _check(raw)


@settings(max_examples=50, deadline=None)
@given(
    st.uuids(), st.text(min_size=1, max_size=100).filter(lambda t: t.strip() and "\x00" not in t)
)
def test_a_good_question_is_parsed(client_msg_id: uuid.UUID, text: str) -> None:
    raw = json.dumps({"type": "send", "client_msg_id": str(client_msg_id), "text": text})
    try:
        frame = parse_frame(raw)
    except FrameError as refused:  # only lone surrogates may be refused
        assert refused.code == "invalid_frame" and any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    else:
        assert frame == SendFrame(client_msg_id, None, text)
