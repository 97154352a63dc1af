"""The page's CSV reader (service/http/web/static/csv.js), run in Node.js as the browser runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from service.http.routes.web import STATIC

NODE = shutil.which("node")
pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(NODE is None, reason="Node.js is not installed"),
]
HEADER = "day,model,feature,requests,input tokens,output tokens,cost\n"


def read(text: str) -> Any:
    """The records, or {"error": message} as the page would show it."""
    script = (
        f"import {{ usageRecords }} from {json.dumps((STATIC / 'csv.js').as_uri())};"
        "let text = ''; process.stdin.on('data', d => text += d);"
        "process.stdin.on('end', () => { try { console.log(JSON.stringify(usageRecords(text))); }"
        " catch (e) { console.log(JSON.stringify({error: e.message})); } });"
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    return json.loads(done.stdout)


def test_a_spreadsheet_export_becomes_usage_records() -> None:
    text = HEADER + '2026-01-02,gpt-4o,"support-bot, EU",400000,320000000,60000000,"$1,400.00"\r\n'
    assert read(text) == [
        {
            "day": "2026-01-02",
            "model": "gpt-4o",
            "feature": "support-bot, EU",
            "requests": 400000,
            "input_tokens": 320000000,
            "output_tokens": 60000000,
            "cost_usd": 1400.0,
        }
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("model,feature\ngpt-4o,x\n", "Missing column(s): day, requests, input tokens"),
        (HEADER, "The file has no rows of usage"),
        (HEADER + "2026-01-02,gpt-4o,x,1.5,1,1,1\n", 'Line 2: requests "1.5" is not a valid'),
        (HEADER + "yesterday,gpt-4o,x,1,1,1,1\n", 'Line 2: day "yesterday" is not a date'),
        (HEADER + '2026-01-02,"gpt-4o,x,1,1,1,1\n', "A quoted value is never closed"),
    ],
)
def test_a_file_that_is_not_usage_is_refused_saying_why(text: str, said: str) -> None:
    assert read(text)["error"].startswith(said)
