"""Whether a sign-in refusal gives away that an email has no account: the answer to an unknown
email and to a wrong password, asked side by side, must be the same words and take about the
same time (an early return that skips the password check answers about five times faster).
The attempts are the actors' (`SignInSideBySide`); this is what they are held to.

Time is compared pair by pair: each round's two attempts are made back to back, so both meet
the same load on a busy machine (a load that comes and goes between rounds moves both), and the
verdict is the median of the rounds' ratios, so one or two rounds unlucky on one side cannot
decide it. The fastest of each side, compared instead, failed 2 runs in 9 under load with no
defect (42 ms against 94 ms): four lucky or unlucky attempts on one side decided it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# "About the same time": the median of the rounds' ratios within this factor of 1. A check of
# the password takes most of a refusal's time (about 25 ms of argon2 here, quiet), the round
# trip the rest. Measured under load (average 10 on 2 cores, 25 runs each): a ratio of 0.81 to
# 1.34 as built, 0.10 to 0.31 when an unknown email skips the check.
SAME_TIME_FACTOR = 2.0
# Rounds of one attempt each. The account holder is forgiven by signing in with her password
# after every FORGIVEN_AFTER wrong ones: a fifth wrong password in a row would lock her account.
ROUNDS = 8
FORGIVEN_AFTER = 4


@dataclass(frozen=True)
class Attempt:
    answer: tuple[int, str, str]  # status, code, message; (200, "", "") when let in
    seconds: float


@dataclass(frozen=True)
class SideBySide:
    unknown: list[Attempt]  # an email without an account, a new one each round
    wrong: list[Attempt]  # a real account's email with a wrong password, the same rounds


def problems(found: SideBySide, who: str, other: str) -> list[str]:
    """How `who`'s answers (unknown email) differ from `other`'s (wrong password)."""
    told = {a.answer for a in found.unknown}
    told_other = {a.answer for a in found.wrong}
    said = []
    if told != told_other or len(told) != 1:
        said.append(f"{who} was told {sorted(told)}, {other} {sorted(told_other)}")
    pairs = list(zip(found.unknown, found.wrong, strict=True))
    ratio = statistics.median(mine.seconds / theirs.seconds for mine, theirs in pairs)
    if not 1 / SAME_TIME_FACTOR <= ratio <= SAME_TIME_FACTOR:
        rounds = ", ".join(f"{m.seconds * 1000:.0f}/{t.seconds * 1000:.0f}" for m, t in pairs)
        said.append(
            f"{who}'s answer took {ratio:.2f} times as long as {other}'s (the median of "
            f"{len(pairs)} rounds, ms {who}/{other}: {rounds}): not within a factor "
            f"{SAME_TIME_FACTOR:g}"
        )
    return said
