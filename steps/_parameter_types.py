"""Every parameter type of the step sentences, built with parse_type. This module loads before
the step modules that use the types: behave reads step files in name order."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from parse import with_pattern
from parse_type import TypeBuilder

from driver.actors.tasks import FORGERIES, GARBLED
from driver.oracle import refusals
from fixtures import security
from fixtures.context import register_type

# The servers a scenario can put a device on, in the scenario's words -> harness/servers.py.
SERVER_KINDS = {
    "reading usage data takes a while": "slow tools",
    "reading usage data fails once, then works": "flaky usage data",
    "the savings analysis is out of order": "no savings analysis",
    "each read of usage data takes over a second": "slower tools",
}
# A weak password, in the scenario's words -> the password (made from the person's email).
WEAK_PASSWORDS: Mapping[str, Callable[[str], str]] = {
    "a password of 7 characters": lambda email: "Xk3#qz9",
    "one of the most common passwords": lambda email: "Password123",
    "a password containing her email address": lambda email: f"{email}-2026",
    "a password of one character repeated": lambda email: "z" * 12,
}


class Converter(Protocol):
    """What parse_type builds: a function with the regex it matches as `pattern`."""

    pattern: str

    def __call__(self, text: str, /) -> Any: ...


def _literal(converter: Converter, phrases: Iterable[str]) -> Converter:
    """Match the phrases as written: parse_type joins them into a regex unescaped."""
    converter.pattern = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return converter


def choice(phrases: Iterable[str]) -> Converter:
    """One of the phrases, passed on as written."""
    phrases = list(phrases)
    return _literal(TypeBuilder.make_choice(phrases), phrases)


def mapped(table: Mapping[str, Any]) -> Converter:
    """One of the table's phrases, passed on as what the table maps it to."""
    return _literal(TypeBuilder.make_enum(dict(table)), table)


@with_pattern(r"1 question|\d+ questions")
def _questions(text: str) -> int:
    """ "1 question", "2 questions": a count that reads right in the singular too."""
    return int(text.split()[0])


@with_pattern(
    r"(?:open|read the log of|ask a question inside|catch up on) \w+'s "
    r"(?:conversation|answer)(?: as h(?:is|er) own)?"
)
def _reach(text: str) -> str:
    """A way into someone else's conversation: `open Alice's conversation as her own`."""
    return text


register_type(
    # Her or his, she or he ...: a step reads right for every person and means the same.
    Her=choice(["her", "his"]),
    Him=choice(["her", "him"]),
    She=choice(["she", "he"]),
    Herself=choice(["herself", "himself"]),
    DeviceName=choice(["laptop", "phone", "tablet"]),
    ServerKind=mapped(SERVER_KINDS),
    Questions=_questions,
    WeakPassword=mapped(WEAK_PASSWORDS),
    Refusal=choice(refusals.REFUSALS),
    Problem=choice(refusals.BAD_MESSAGES),
    Forgery=choice(FORGERIES),
    ProviderForgery=choice(security.PROVIDER_FORGERIES),
    Garbled=choice(GARBLED),
    Page=choice(security.PAGES),
    Reach=_reach,
)
