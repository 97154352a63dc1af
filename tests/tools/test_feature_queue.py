"""tools/feature_queue.py: every feature runs once, taken by whichever shard is free first."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tools import feature_queue


def features(*paths: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(filename=p) for p in paths]


def test_each_feature_is_taken_by_one_shard_only(tmp_path: Path) -> None:
    feature_queue.write_queue(tmp_path, ["b.feature", "a.feature", "c.feature"])
    first = feature_queue.taken(tmp_path, features("a.feature", "b.feature", "c.feature"), "1")
    second = feature_queue.taken(tmp_path, features("a.feature", "b.feature", "c.feature"), "2")
    # The first shard takes the longest; the second, free meanwhile, the next two in turn.
    assert next(first).filename == "b.feature"
    assert [f.filename for f in second] == ["a.feature", "c.feature"]
    assert list(first) == []
    assert feature_queue.claimed_by(tmp_path) == {
        "b.feature": "1",
        "a.feature": "2",
        "c.feature": "2",
    }


def test_a_fresh_queue_forgets_the_last_runs_claims(tmp_path: Path) -> None:
    feature_queue.write_queue(tmp_path, ["a.feature"])
    assert feature_queue.claim(tmp_path, 0, "1")
    assert not feature_queue.claim(tmp_path, 0, "2")
    feature_queue.write_queue(tmp_path, ["a.feature"])
    assert feature_queue.claim(tmp_path, 0, "2")


def test_a_feature_outside_the_queue_is_an_error(tmp_path: Path) -> None:
    feature_queue.write_queue(tmp_path, ["a.feature"])
    with pytest.raises(ValueError, match="not in the queue"):
        list(feature_queue.taken(tmp_path, features("z.feature"), "1"))
