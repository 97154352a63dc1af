"""`@server:<name>` tags (harness/servers.py): the scenario's set-up, named in its tags, each
name a known server profile, every one of them used by some feature."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.servers import PROFILES, SERVER_TAG, SETUP_PROFILES, setup_of, setup_profile

FEATURES = Path(__file__).resolve().parents[2] / "features"
_TAG = re.compile(rf"@{re.escape(SERVER_TAG)}(\S+)")


def test_a_tag_names_a_profile() -> None:
    assert setup_profile({"critical", "server:slow_usage"}) == "slow tools"
    assert setup_profile({"critical", "fault"}) is None
    with pytest.raises(ValueError, match="one of"):
        setup_profile({"server:slow"})
    with pytest.raises(ValueError, match="one @server"):
        setup_profile({"server:slow_usage", "server:fair_line"})


def test_the_set_up_says_the_settings_behind_the_words() -> None:
    assert setup_of("slow tools") == (
        "a server where reading usage data takes a while (AGENT_TOOL_DELAY_SECONDS=0.5)"
    )


def test_every_tag_in_the_features_is_known_and_every_name_is_used() -> None:
    used = {m for path in FEATURES.rglob("*.feature") for m in _TAG.findall(path.read_text())}
    assert used <= set(SETUP_PROFILES), f"unknown: {used - set(SETUP_PROFILES)}"
    assert set(SETUP_PROFILES) <= used, f"never used: {set(SETUP_PROFILES) - used}"
    assert set(SETUP_PROFILES.values()) <= set(PROFILES)
