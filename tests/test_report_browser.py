"""The rendered report, in a real browser (Debian's headless Chromium: `make browser`).

A small Allure result set is written here with the suite's own evidence code (a transcript
recorded through the driver's Transcript, its conversation table, the run's environment), the
report is rendered with the project's Allure and allurerc.mjs, and Chromium opens it: the epics
are listed, the environment is shown, and a scenario shows its business value and a
conversation attachment that reads as a table.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from driver.transcript import Transcript
from fixtures.evidence import CONVERSATION_COLUMNS, TIMING_COLUMNS, _csv, conversation_rows
from fixtures.run_facts import properties
from tools import report_browser

ROOT = Path(__file__).resolve().parents[1]
ALLURE = ROOT / "node_modules" / ".bin" / "allure"
QUESTION = "How can we cut our model spend?"
ANSWER = "Over the last 30 days your company spent $3,785.00 on AI models."
CHROMIUM = report_browser.find_chromium()

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: `make browser` (as root)"),
    pytest.mark.skipif(not ALLURE.exists(), reason="no Allure: `make setup` (npm ci)"),
]


def recorded_transcript() -> Transcript:
    """A short conversation, fed through the driver's transcript as a socket would."""
    transcript = Transcript("Alice learns what her company spent")
    transcript.note("Alice", "signed up", at=100.0)
    transcript.socket_opened("Alice's laptop", 100.1)
    send = {"type": "send", "client_msg_id": "m-1", "text": QUESTION}
    transcript.frame_sent("Alice's laptop", json.dumps(send), send, 100.2)
    transcript.frame_received(
        "Alice's laptop", {"type": "ack", "client_msg_id": "m-1", "run_id": "run-1"}, 100.21
    )
    for seq, kind in enumerate(("agent_started", "agent_thinking"), start=1):
        frame = {"type": kind, "run_id": "run-1", "seq": seq, "payload": {"text": "Reading"}}
        transcript.frame_received("Alice's laptop", frame, 100.2 + seq / 10)
    done = {"type": "agent_completed", "run_id": "run-1", "seq": 3, "payload": {"text": ANSWER}}
    transcript.frame_received("Alice's laptop", done, 100.6)
    return transcript


def write_result(results: Path, *, epic: str, feature: str, name: str, status: str) -> None:
    transcript = recorded_transcript()
    attachments = []
    for title, mime, ext, body in (
        (
            "Conversation",
            "text/csv",
            "csv",
            _csv(conversation_rows(json.loads(transcript.to_json())), CONVERSATION_COLUMNS),
        ),
        ("Timings", "text/csv", "csv", _csv(transcript.timings(), TIMING_COLUMNS)),
        ("Conversation transcript", "application/json", "json", transcript.to_json()),
    ):
        source = f"{uuid.uuid4()}-attachment.{ext}"
        (results / source).write_text(body, encoding="utf-8")
        attachments.append({"name": title, "source": source, "type": mime})
    result = {
        "uuid": str(uuid.uuid4()),
        "historyId": uuid.uuid4().hex,
        "name": name,
        "fullName": f"{feature}: {name}",
        "status": status,
        "description": "In order to spend less\n\n**Business value:** an answer in dollars.",
        "labels": [
            {"name": "epic", "value": epic},
            {"name": "feature", "value": feature},
            {"name": "story", "value": name},
            {"name": "severity", "value": "critical"},
        ],
        "steps": [{"name": f'When Alice asks "{QUESTION}"', "status": status}],
        "attachments": attachments,
        "start": 1_700_000_000_000,
        "stop": 1_700_000_000_600,
    }
    (results / f"{result['uuid']}-result.json").write_text(json.dumps(result), encoding="utf-8")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("report")
    results = work / "results"
    results.mkdir()
    write_result(
        results,
        epic="Conversation",
        feature="Ask the assistant how to cut AI spend",
        name="Alice learns what her company spent",
        status="passed",
    )
    write_result(
        results,
        epic="Agent progress",
        feature="Catch up after a dropped connection",
        name="Alice's laptop catches up",
        status="failed",
    )
    facts = {"Target": "http://127.0.0.1:8080", "PostgreSQL": "18.6", "Redis": "6.2.14"}
    (results / "environment.properties").write_text(properties(facts), encoding="utf-8")
    # The project's Allure configuration, run from this folder: history and the capability
    # overview resolve here, not in the repository's reports/.
    subprocess.run(
        [
            str(ALLURE),
            "generate",
            "results",
            "--config",
            str(ROOT / "allurerc.mjs"),
            "-o",
            "report",
        ],
        cwd=work,
        env={**os.environ, "ALLURE_APPEND_HISTORY": "0"},
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (work / "report" / "index.html").exists()
    return work / "report"


def test_the_report_opens_and_lists_the_epics_and_environment(report: Path) -> None:
    assert CHROMIUM is not None
    dom = report_browser.dump_dom(CHROMIUM, (report / "index.html").as_uri())
    for shown in ("Golden Path acceptance", "Conversation", "Agent progress", "PostgreSQL"):
        assert shown in dom, f"{shown!r} is not in the rendered report"


async def test_a_scenario_shows_its_business_value_and_a_readable_transcript(
    report: Path,
) -> None:
    assert CHROMIUM is not None
    results = report_browser.test_results(report)
    result_id = next(k for k, v in results.items() if v == "Alice learns what her company spent")
    async with report_browser.browser(CHROMIUM) as page:
        await page.open((report / "index.html").as_uri())
        await page.show_test_result(result_id)
        assert "Business value: an answer in dollars." in await page.description()
        names = " | ".join(await page.attachment_names())
        assert "Conversation transcript" in names
        rows = await page.expand_attachment("Conversation")
    assert rows[0] == list(CONVERSATION_COLUMNS)
    said = {row[2] for row in rows[1:]}
    assert f"asks: {QUESTION}" in said
    assert f"gets the answer: {ANSWER}" in said
