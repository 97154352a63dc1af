"""Parameter types for devices, servers and counts of questions (loaded before the step modules that use them:
behave reads step files in name order)."""

from __future__ import annotations

import parse

from fixtures.context import register_type

# The servers a scenario can put a device on, in the scenario's words -> fixtures/servers.py.
SERVER_KINDS = {
    "reading usage data takes a while": "slow tools",
    "each question has very little time": "short deadline",
    "reading usage data gives up quickly": "impatient tools",
    "a shutdown leaves little time to finish": "short drain",
    "each device may only fall a little behind": "small buffers",
    "one question is answered at a time and one more may wait": "one at a time",
}


@parse.with_pattern(r"laptop|phone|tablet")
def _device(text: str) -> str:
    return text


@parse.with_pattern("|".join(SERVER_KINDS))
def _server_kind(text: str) -> str:
    return SERVER_KINDS[text]


@parse.with_pattern(r"1 question|\d+ questions")
def _questions(text: str) -> int:
    """ "1 question", "2 questions": a count that reads right in the singular too."""
    return int(text.split()[0])


register_type(DeviceName=_device, ServerKind=_server_kind, Questions=_questions)
