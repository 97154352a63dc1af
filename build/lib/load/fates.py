"""The fate table: how every question ended, from the `fate` entries the users report."""

from __future__ import annotations

from collections.abc import Mapping

from load.stream import ANSWERED


def fate_table(fates: Mapping[str, int], busy_resent: int = 0) -> str:
    """`fates`: questions per fate. `busy_resent`: refusals with `busy` that were resent."""
    total = sum(fates.values())
    lines = [f"{'fate':<48} {'questions':>9} {'share':>7}"]
    for fate, count in sorted(fates.items(), key=lambda item: (item[0] != ANSWERED, -item[1])):
        lines.append(f"{fate:<48} {count:>9} {count / total if total else 0:>7.1%}")
    lines.append(f"{'all questions':<48} {total:>9}")
    if busy_resent:
        lines.append(f"({busy_resent} 'busy' refusal(s) were resent after retry_after)")
    return "\n".join(lines)


def all_answered(fates: Mapping[str, int]) -> bool:
    return sum(fates.values()) > 0 and set(fates) == {ANSWERED}
