"""`make load`, small: the embedded stack, a Locust master and two local workers, ten people
asking at once. Proves the worker mode works here, every request type is reported and every
question's fate is counted."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from fixtures.services import PROJECT_ROOT

PEOPLE = 10
REQUEST_TYPES = {
    "connect",
    "ack",
    "first progress",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "step gap",
    "answer",
    "fate",
}


def test_ten_people_on_two_workers_all_answered(tmp_path: Path) -> None:
    reports = tmp_path / "load"
    command = [sys.executable, "-m", "tools.load", "--users", str(PEOPLE), "--spawn-rate", "20"]
    command += ["--run-time", "12s", "--workers", "2", "--reports", str(reports)]
    run = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "2 workers connected" in output, output[-4000:]
    with (reports / "locust_stats.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    assert REQUEST_TYPES <= {row["Type"] for row in rows}
    fates = {row["Name"]: int(row["Request Count"]) for row in rows if row["Type"] == "fate"}
    assert fates == {"answered": PEOPLE}
    # Both workers had people: each worker process records its people's acks in its own file.
    files = (reports / "acks").glob("acks-*")
    per_worker = [p.read_text().count('"client_msg_id"') for p in files]
    assert len(per_worker) == 2 and sum(per_worker) == PEOPLE, per_worker
    assert (reports / "locust.html").stat().st_size > 0
    assert "nothing lost, every run ended exactly once" in output
