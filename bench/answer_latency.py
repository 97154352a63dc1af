"""How long an answer takes, as a ratio to the service's own floor measured in the same run.

The floor is a ping round trip on an open chat (the cheapest thing the service does); the
measured paths are time to first progress and time to the answer, for one person alone and for
20 people asking at once. Ratios, not seconds, so a faster or slower machine compares fairly.

    python bench/answer_latency.py [--people 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixtures.cast import Cast
from fixtures.stack import Stack, StackConfig

USAGE = [
    {
        "day": time.strftime("%Y-%m-%d"),
        "model": "gpt-4o",
        "feature": "support-bot",
        "requests": 400_000,
        "input_tokens": 320_000_000,
        "output_tokens": 60_000_000,
        "cost_usd": 1400.0,
    }
]
QUESTION = "How can we cut our model spend?"


async def _one_question(cast: Cast, name: str) -> tuple[float, float]:
    """(seconds to agent_started, seconds to the final event) for one question."""
    person = cast.person(name)
    started = time.monotonic()
    await person.ask(QUESTION)
    first = await person.wait_for_event("agent_started", 30)
    final = await person.wait_for_answer(30)
    return first.at - started, final.at - started


async def _bench(url: str, people: int, rounds: int) -> None:
    async with aiohttp.ClientSession() as session:
        cast = Cast(url, session, "benchmark")
        names = [f"Customer{i:02d}" for i in range(people)]
        for name in names:
            person = cast.person(name)
            await person.sign_up()
            await person.sign_in()
            await person.load_usage(USAGE)
            await person.connect()
        floor = statistics.median(
            [await cast.person(names[0]).sockets["laptop"].ping() for _ in range(50)]
        )
        alone = [await _one_question(cast, names[0]) for _ in range(rounds)]
        crowd: list[tuple[float, float]] = []
        for _ in range(rounds):
            crowd += await asyncio.gather(*(_one_question(cast, n) for n in names))
        await cast.verify_and_leave()

    def row(label: str, samples: list[tuple[float, float]]) -> None:
        firsts = sorted(s[0] for s in samples)
        finals = sorted(s[1] for s in samples)
        p95 = finals[int(0.95 * (len(finals) - 1))]
        print(
            f"{label:<22} first progress {statistics.median(firsts) / floor:7.1f}x   "
            f"answer p50 {statistics.median(finals) / floor:7.1f}x   p95 {p95 / floor:7.1f}x"
        )

    print(f"floor: ping round trip, median of 50 = {floor * 1000:.2f} ms (ratios below are to it)")
    row("1 person", alone)
    row(f"{people} people at once", crowd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with Stack(StackConfig.from_env()) as stack:
        asyncio.run(_bench(stack.service_urls[0], args.people, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
