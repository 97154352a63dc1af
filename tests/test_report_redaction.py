"""No live credential in a run's Allure results (issue 18: suite artefacts carried live passes
when run against a deployment): a real behave run with allure-behave's formatter and
fixtures/redaction.py, whose steps put a person's password and passes in attachments (text and
a zip, as a Playwright trace is), step names and a failure's message; the results are scanned
for them."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fixtures.redaction import MASK, redact

PASSWORD = "Xq3-secret-pw-8812"
ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl"
RENEWAL = "r" * 20 + "E" * 23  # 43 URL-safe characters, as secrets.token_urlsafe(32)

FEATURE = f"""\
Feature: Signing in
  Business value:
    People sign in.

  Scenario: Alice signs in
    When Alice signs in with {PASSWORD}
    Then Alice's pass works
"""

STEPS = f"""\
import io
import json
import zipfile

import allure
from behave import then, when

from fixtures import redaction


@when("Alice signs in with {{password}}")
def sign_in(ctx, password):
    redaction.remember(password)
    body = {{"access_token": "{ACCESS}", "refresh_token": "{RENEWAL}", "password": password}}
    allure.attach(json.dumps(body), name="transcript", attachment_type=allure.attachment_type.JSON)
    trace = io.BytesIO()
    with zipfile.ZipFile(trace, "w") as archive:
        archive.writestr("trace.network", "Authorization: Bearer {ACCESS}\\n" + password)
    allure.attach(trace.getvalue(), name="trace", extension="zip")


@then("Alice's pass works")
def works(ctx):
    raise AssertionError("refused: Bearer {ACCESS} for {PASSWORD}")
"""

ENVIRONMENT = """\
from fixtures import redaction
redaction.install()
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("redaction")
    (work / "features").mkdir()
    (work / "features" / "signing_in.feature").write_text(FEATURE)
    (work / "steps").mkdir()
    (work / "steps" / "steps.py").write_text(STEPS)
    (work / "environment.py").write_text(ENVIRONMENT)
    (work / "behave.ini").write_text(
        "[behave]\nformat = allure_behave.formatter:AllureFormatter\noutfiles = results\n"
    )
    subprocess.run(
        [sys.executable, "-m", "behave", "-f", "plain", "-o", "/dev/null", "features"],
        cwd=work,
        env={"PYTHONPATH": str(Path.cwd()), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=120,
        check=False,  # the Then fails on purpose: its message is in the results too
    )
    return work / "results"


def _everything(results: Path) -> bytes:
    """Every file's bytes, and those of every member of a zip among them."""
    blobs = []
    for path in results.iterdir():
        data = path.read_bytes()
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                blobs += [archive.read(name) for name in archive.namelist()]
        blobs.append(data)
    return b"\n".join(blobs)


def test_no_password_or_pass_reaches_the_results(results: Path) -> None:
    everything = _everything(results)
    assert MASK.encode() in everything
    for secret in (PASSWORD, ACCESS, RENEWAL):
        assert secret.encode() not in everything, secret


def test_redact_keeps_what_is_not_a_credential() -> None:
    for text in (
        "Alice asks: How can we cut our model spend? run 5f0c2d1e seq 3",
        "GET /api/threads answered 401 invalid_token: This pass was revoked",
    ):
        assert redact(text) == text
    assert redact('{"new_password": "s3cret-s3cret"}') == '{"new_password": "[redacted]"}'
