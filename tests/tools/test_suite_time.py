"""tools/suite_time.py: a run's seconds per feature and per step, from Allure results."""

from __future__ import annotations

import json
from pathlib import Path

from tools import suite_time


def result(folder: Path, name: str, feature: str, start: int, steps: list[tuple[str, int]]) -> None:
    at, written = start, []
    for text, ms in steps:
        written.append({"name": text, "start": at, "stop": at + ms})
        at += ms
    data = {
        "name": name,
        "start": start,
        "stop": at + 100,
        "labels": [{"name": "feature", "value": feature}],
        "steps": written,
    }
    (folder / f"{name}-result.json").write_text(json.dumps(data))


def test_seconds_per_feature_and_per_sentence(tmp_path: Path) -> None:
    result(tmp_path, "one", "Signing in", 0, [('Given Alice asks "Hi"', 2000)])
    result(tmp_path, "two", "Signing in", 3000, [('Given Bob asks "Why?"', 1000)])
    result(tmp_path, "three", "Outages", 5000, [("When the database is down for 3 seconds", 500)])
    text = suite_time.report(suite_time.load(tmp_path), top=5)
    assert text.splitlines()[0].startswith("3 scenarios over 5.6 s: 3.8 s in scenarios")
    assert "     3.2     2  Signing in" in text
    assert '     3.0     2  X asks "…"' in text
    assert "     0.5     1  the database is down for N seconds" in text
