"""Whether a sign-in refusal gives away that an email has no account: the answer to an unknown
email and to a wrong password, asked side by side, must be the same words and take about the
same time (an early return that skips the password check answers several times faster).
The attempts are the actors' (`SignInSideBySide`); this is what they are held to.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

# "About the same time": the fastest of each within this factor of each other. A check of the
# password takes most of a refusal's time (about 25 ms of argon2 here); the round trip the rest.
SAME_TIME_FACTOR = 2.0
ROUNDS = 4  # per side: a fifth wrong password would lock the account (the sign-in lockout)


@dataclass(frozen=True)
class Attempt:
    answer: tuple[int, str, str]  # status, code, message; (200, "", "") when let in
    seconds: float


@dataclass(frozen=True)
class SideBySide:
    unknown: list[Attempt]  # an email without an account, a new one each round
    wrong: list[Attempt]  # a real account's email with a wrong password


def problems(found: SideBySide, who: str, other: str) -> list[str]:
    """How `who`'s answers (unknown email) differ from `other`'s (wrong password)."""
    told = {a.answer for a in found.unknown}
    told_other = {a.answer for a in found.wrong}
    said = []
    if told != told_other or len(told) != 1:
        said.append(f"{who} was told {sorted(told)}, {other} {sorted(told_other)}")
    fastest = min(a.seconds for a in found.unknown)
    fastest_other = min(a.seconds for a in found.wrong)
    if not 1 / SAME_TIME_FACTOR <= fastest / fastest_other <= SAME_TIME_FACTOR:
        median = statistics.median(a.seconds for a in found.unknown)
        median_other = statistics.median(a.seconds for a in found.wrong)
        said.append(
            f"{who}'s answer took {fastest * 1000:.0f} ms at the fastest "
            f"(median {median * 1000:.0f} ms), {other}'s {fastest_other * 1000:.0f} ms "
            f"(median {median_other * 1000:.0f} ms): not within a factor {SAME_TIME_FACTOR:g}"
        )
    return said
