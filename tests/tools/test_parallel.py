"""tools/parallel.py: the arguments handed on to behavex are read by behavex's own parser."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tools import parallel

ARGS = argparse.Namespace(
    workers=2, scheme="feature", tags="not @wip", output=Path("reports/behavex")
)


def test_feature_paths_are_told_from_option_values() -> None:
    # Options whose value is no feature path, among them ones a hand-kept list had missed.
    extra = ["--parallel-delay", "5", "-D", "x=1", "features/a.feature", "--dry-run"]
    assert parallel.feature_paths(extra) == ["features/a.feature"]
    assert parallel.feature_paths(["--include-paths", "lists/some.txt"]) == []


def test_the_command_runs_features_unless_paths_are_given() -> None:
    given = ["--logging-level", "DEBUG", "features/a.feature:12"]
    command = parallel.behavex_command(ARGS, "http://127.0.0.1:1", given)
    assert command[-3:] == given
    command = parallel.behavex_command(ARGS, "http://127.0.0.1:1", ["--logging-level", "DEBUG"])
    assert command[-3:] == ["--logging-level", "DEBUG", "features"]
    assert command[command.index("-D") + 1] == "service_url=http://127.0.0.1:1"


def test_an_argument_behavex_does_not_take_is_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        parallel.main(["--no-such-option"])
    assert refused.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
