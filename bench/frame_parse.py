"""What one hostile chat frame costs the event loop to refuse: the strict parser alone (as every
frame was read before issue 18) against `parse_frame` (a bound on its kind and structure first),
for 64 KiB frames of numbers, objects, keys, strings and escapes, and a usual question as the
floor. Figures are the best of several rounds, in milliseconds and as ratios to the floor.

    python bench/frame_parse.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import timeit
import uuid
from collections.abc import Callable

from service.delivery.chat.frames import parse_frame
from service.errors import FrameError
from service.validation import JsonError, loads_strict

SIZE = 64 * 1024 - 64  # just under the socket's largest frame


def _frames() -> dict[str, str]:
    question = {"type": "send", "client_msg_id": str(uuid.uuid4()), "text": "Cut our spend? " * 40}
    return {
        "a usual question (floor)": json.dumps(question),
        "ping padded with numbers": '{"type":"ping","pad":[' + ",".join(["1"] * (SIZE // 2)) + "]}",
        "question padded with objects": '{"type":"send","pad":['
        + ",".join(["{}"] * (SIZE // 3))
        + "]}",
        "unknown kind padded with keys": '{"type":"x","pad":{'
        + ",".join(f'"{i:x}":0' for i in range(SIZE // 10))
        + "}}",
        "question padded with strings": '{"type":"send","pad":['
        + ",".join(['""'] * (SIZE // 3))
        + "]}",
        "ping padded with escapes": '{"type":"ping","pad":"' + '\\"' * (SIZE // 2) + '"}',
        "question padded with escapes": '{"type":"send","pad":"' + '\\"' * (SIZE // 2) + '"}',
    }


def _quietly(parse: Callable[[str], object]) -> Callable[[str], None]:
    def run(raw: str) -> None:
        try:
            parse(raw)
        except (FrameError, JsonError):
            pass

    return run


def _best_ms(run: Callable[[str], None], raw: str, rounds: int) -> float:
    number = 10
    return min(timeit.repeat(lambda: run(raw), number=number, repeat=rounds)) / number * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args, _ = parser.parse_known_args()  # `make bench` passes every script the same arguments
    before, after = _quietly(loads_strict), _quietly(parse_frame)
    rows = [
        (name, _best_ms(before, raw, args.rounds), _best_ms(after, raw, args.rounds))
        for name, raw in _frames().items()
    ]
    floor = rows[0][2]
    print(f"{'frame':32} {'strict parser':>14} {'parse_frame':>12} {'x floor':>8} {'saved':>6}")
    for name, old, new in rows:
        print(f"{name:32} {old:11.3f} ms {new:9.3f} ms {new / floor:8.1f} {old / new:5.0f}x")


if __name__ == "__main__":
    main()
