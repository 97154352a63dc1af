"""tools/shards.py: how the features are dealt, what each shard is told, when each ended."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, cast

import pytest
from behave.configuration import Configuration

from tools import shards
from tools.quality_gate import select


def test_the_longest_features_are_queued_first() -> None:
    assert shards.longest_first({"d": 1.0, "c": 3.0, "a": 5.0, "b": 3.0}) == ["a", "b", "c", "d"]


def test_every_selected_feature_is_queued_once() -> None:
    weights = shards.weights_of(["--tags=@critical and not @wip"])
    queue = shards.longest_first(weights)
    assert sorted(queue) == sorted(weights)


def test_a_shard_gets_the_options_but_not_the_paths() -> None:
    argv = ["--tags=@critical", "features/plans", "-D", "target=proxy"]
    assert shards.options_only(argv) == ["--tags=@critical", "-D", "target=proxy"]


def test_the_shards_rerun_files_become_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for number, failed in ((1, "features/a.feature:3"), (2, "features/b.feature:9")):
        folder = shards.shard_dir(number)
        folder.mkdir(parents=True)
        (folder / "rerun.txt").write_text(f"# -- RERUN: 1 failing scenarios\n{failed}\n")
    shards.RERUN_FILE.write_text("features/b.feature:9\n")  # the last shard's own word
    shards.merge_reruns(2)
    lines = shards.RERUN_FILE.read_text().splitlines()
    assert lines[1:] == ["features/a.feature:3", "features/b.feature:9"]


def test_no_rerun_file_when_nothing_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shards.RERUN_FILE.parent.mkdir()
    shards.RERUN_FILE.write_text("features/old.feature:1\n")
    shards.merge_reruns(2)
    assert not shards.RERUN_FILE.exists()


@pytest.mark.parametrize("options", [[], ["-f", "progress"], ["--format=plain"]])
def test_each_shard_writes_its_own_rerun_file_and_its_output_on_screen(options: list[str]) -> None:
    args: Any = cast(Any, Configuration)(
        command_args=shards.shard_args(options, 2, ["features/x.feature"]), load_config=True
    )
    pairs = list(zip(args.format, args.outfiles, strict=True))
    assert args.runner == shards.RUNNER and args.userdata["feature_queue"] == str(shards.QUEUE)
    assert pairs[-1] == ("rerun", str(Path("reports/logs/shard-2/rerun.txt")))
    if not options:
        assert ("pretty", "-") in pairs  # behave.ini's default_format, on the screen


class EndsAt:
    """Stands in for a shard's process: it has ended once the clock reaches `at`."""

    def __init__(self, at: float) -> None:
        self.at = at

    def poll(self) -> int | None:
        return 0 if time.monotonic() >= self.at else None


def test_each_shard_is_timed_to_its_own_end() -> None:
    began = time.monotonic()
    first, second = shards.ended_after(began, [EndsAt(began + 1.0), EndsAt(began + 0.2)])
    assert second < 0.9 and 1.0 <= first < 3.0, (first, second)  # each its own end


def test_a_features_seconds_weigh_each_selected_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seconds remembered from `make accept` (a few of a feature's scenarios) deal `make test`
    (all of them) by the scenarios selected, not by the accept run's total."""
    monkeypatch.setattr(shards, "SECONDS_FILE", tmp_path / "feature-seconds.json")
    plans = "features/plans/plans.feature"
    everything = ["--tags=not @wip", plans]
    critical = ["--tags=@critical and not @wip", plans]
    feature = next(c.feature for c in select(everything).cases)
    shards.SECONDS_FILE.write_text(json.dumps({feature: {"seconds": 20.0, "scenarios": 4}}))
    selected = {
        run: len(select(argv).cases) for run, argv in (("all", everything), ("critical", critical))
    }
    assert selected["all"] > selected["critical"]
    assert shards.weights_of(everything) == {plans: 5.0 * selected["all"]}
    assert shards.weights_of(critical) == {plans: 5.0 * selected["critical"]}
