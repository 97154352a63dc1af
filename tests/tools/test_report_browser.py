"""The rendered report, in a real browser (Debian's headless Chromium: `make system`).

A small Allure result set is written here with the suite's own evidence code (a transcript
recorded through the driver's Transcript, its conversation table, the run's environment, a
Playwright trace), the report is rendered as `make report` does (tools/allure_report.mjs with
allurerc.mjs, the capability overview, tools/offline_report.py), and Chromium opens it from
disk with every request to another origin refused and recorded: the report reaches nothing
outside the file (and the same walk through the report as Allure wrote it catches its Google
Analytics tag), the epics and environment are listed, a scenario shows its business value, a
conversation that reads as a table and a trace of Allure's Playwright trace type, and the
capability page shows whole.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import allure_commons
import pytest
from allure_commons import hookimpl

from driver.evidence.transcript import Transcript
from fixtures.browsing import PLAYWRIGHT_TRACE, attach_trace
from fixtures.evidence import CONVERSATION_COLUMNS, TIMING_COLUMNS, _csv, conversation_rows
from fixtures.run_facts import properties
from tools import capabilities, offline_report, report_browser

ROOT = Path(__file__).resolve().parents[2]
ALLURE = ROOT / "node_modules" / "@allurereport" / "core"
NODE = shutil.which("node")
QUESTION = "How can we cut our model spend?"
ANSWER = "Over the last 30 days your company spent $3,785.00 on AI models."
CHROMIUM = report_browser.find_chromium()

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: `make browser` (as root)"),
    pytest.mark.skipif(
        NODE is None or not ALLURE.exists(), reason="no Allure: `make setup` (npm ci)"
    ),
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
        ("Alice's Playwright trace", PLAYWRIGHT_TRACE, "zip", ""),
    ):
        source = f"{uuid.uuid4()}-attachment.{ext}"
        if ext == "zip":
            with zipfile.ZipFile(results / source, "w") as trace:
                trace.writestr("trace.trace", '{"type":"context-options"}\n')
        else:
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
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report as `make report` builds it (`report`), and as Allure wrote it (`as-written`)."""
    work = tmp_path_factory.mktemp("report")
    results = work / "reports" / "allure-results"
    results.mkdir(parents=True)
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
    # The capability overview of the real features/, attached as allurerc.mjs says.
    overview = ["--features", str(ROOT / "features"), "--results", str(results)]
    assert capabilities.main([*overview, "--out", str(work / "reports")]) == 0
    # The project's Allure configuration, run from this folder: history and the capability
    # overview resolve here, not in the repository's reports/.
    assert NODE is not None
    script, config = ROOT / "tools" / "allure_report.mjs", ROOT / "allurerc.mjs"
    subprocess.run(
        [NODE, str(script), str(results), "report", str(config)],
        cwd=work,
        env={**os.environ, "ALLURE_APPEND_HISTORY": "0"},
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.copytree(work / "report", work / "as-written")
    assert offline_report.main([str(work / "report")]) == 0
    return work


@pytest.fixture(scope="module")
def report(work: Path) -> Path:
    return work / "report"


async def walk(page: report_browser.ReportPage, report: Path) -> None:
    """Open the report and what a reader opens: a scenario and its attachments, the capability
    page."""
    index = (report / "index.html").as_uri()
    await page.open(index)
    results = report_browser.test_results(report)
    result_id = next(k for k, v in results.items() if v == "Alice learns what her company spent")
    await page.show_test_result(result_id)
    await page.attachment_table("Conversation")
    await page.show_global_attachments(index)
    await page.expand_attachment("capabilities.html")
    frame = page.page.frame_locator("iframe[title='HTML attachment']").locator("h1")
    await frame.wait_for()


async def test_opening_the_report_reaches_nothing_outside_the_file(report: Path) -> None:
    assert CHROMIUM is not None
    async with report_browser.browser(CHROMIUM) as page:
        await walk(page, report)
        assert page.outside == []
        assert page.errors == []


async def test_the_walk_catches_the_analytics_allure_writes(work: Path) -> None:
    """Proof that the test above would see them: the report as Allure 3.18 wrote it calls
    Google's tag manager as soon as it opens."""
    assert CHROMIUM is not None
    async with report_browser.browser(CHROMIUM) as page:
        await walk(page, work / "as-written")
        assert any("googletagmanager.com" in request for request in page.outside), page.outside


def test_no_external_tag_is_left_and_the_policy_is_set(work: Path) -> None:
    written = (work / "as-written" / "index.html").read_text(encoding="utf-8")
    cleaned = (work / "report" / "index.html").read_text(encoding="utf-8")
    assert "googletagmanager" in written
    assert offline_report.external_tags(cleaned) == []
    assert "gtag(" not in cleaned and "googletagmanager" not in cleaned
    assert offline_report.CSP_META in cleaned


async def test_the_report_lists_the_epics_and_environment(report: Path) -> None:
    assert CHROMIUM is not None
    async with report_browser.browser(CHROMIUM) as page:
        await page.open((report / "index.html").as_uri())
        text = await page.text()
    for shown in ("Golden Path acceptance", "PostgreSQL"):
        assert shown in text, f"{shown!r} is not in the rendered report"
    data = report_browser.report_data(report)
    epics = {node.get("name") for node in data["widgets/tree.json"]["groupsById"].values()}
    assert {"Conversation", "Agent progress"} <= epics


async def test_a_scenario_shows_its_business_value_a_readable_transcript_and_its_trace(
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
        # Allure's trace type: the report offers its trace viewer rather than a download.
        assert f"Alice's Playwright trace\n{PLAYWRIGHT_TRACE}" in names
        rows = await page.attachment_table("Conversation")
    assert rows[0] == list(CONVERSATION_COLUMNS)
    said = {row[2] for row in rows[1:]}
    assert f"asks: {QUESTION}" in said
    assert f"gets the answer: {ANSWER}" in said


async def test_the_capability_page_shows_whole_from_disk(work: Path) -> None:
    """Allure sizes an HTML attachment's frame by reading it, which a report opened from disk
    may not: without tools/offline_report.py's rule the page kept 150 px, its title only."""
    assert CHROMIUM is not None
    heights = {}
    for name in ("report", "as-written"):
        async with report_browser.browser(CHROMIUM) as page:
            await walk(page, work / name)
            frame = page.page.locator("iframe[title='HTML attachment']")
            heights[name] = (await frame.bounding_box() or {"height": 0})["height"]
            table = page.page.frame_locator("iframe[title='HTML attachment']").locator("table")
            assert await table.count() > 1  # every capability's table is in the page
    assert heights["as-written"] == 150
    assert heights["report"] > 1000


def test_a_trace_is_attached_with_allure_s_trace_type(tmp_path: Path) -> None:
    """fixtures/browsing.py's attachment, as allure-python hands it to its writers."""
    seen: list[tuple[str, str, str]] = []

    class Writer:
        @hookimpl
        def attach_data(self, body: bytes, name: str, attachment_type: str, extension: str) -> None:
            seen.append((name, attachment_type, extension))

    writer = Writer()
    allure_commons.plugin_manager.register(writer)
    try:
        trace = tmp_path / "trace.zip"
        trace.write_bytes(b"PK\x05\x06" + bytes(18))
        attach_trace(trace, "Alice")
    finally:
        allure_commons.plugin_manager.unregister(writer)
    assert seen == [("Alice's Playwright trace", PLAYWRIGHT_TRACE, "zip")]
