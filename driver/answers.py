"""Reading the figures out of the assistant's answer, as a person reading it would."""

from __future__ import annotations

import re

_MONEY = r"\$[0-9][0-9,]*\.[0-9]{2}"
_TOTAL = re.compile(rf"spent ({_MONEY})")
_SAVINGS = re.compile(rf"save about ({_MONEY}) a month")


def stated_total(answer: str) -> str | None:
    """The total spend the answer states, e.g. "$3,785.00"."""
    found = _TOTAL.search(answer)
    return found.group(1) if found else None


def stated_monthly_savings(answer: str) -> str | None:
    """The estimated monthly savings the answer states, e.g. "$1,383.50"."""
    found = _SAVINGS.search(answer)
    return found.group(1) if found else None
