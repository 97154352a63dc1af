"""Settings from the environment (service/settings.py): one refusal naming every bad variable,
the documented defaults, and secrets that never show in a repr or a log line."""

from __future__ import annotations

import secrets

import pytest

from service.settings import Settings, SettingsError

GOOD = secrets.token_urlsafe(48)
ENV = {"DATABASE_URL": "postgresql://a@b/c", "REDIS_URL": "redis://x", "JWT_SECRET": GOOD}


def test_one_refusal_names_every_bad_variable() -> None:
    bad = {
        "PORT": "eighty",
        "DRAIN_SECONDS": "-5",
        "SOCKET_OUTBOX_FRAMES": "0",
        "LLM_FALLBACK": "maybe",
        "RUNS_QUEUED": "2.5",
    }
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**ENV, **bad})
    said = str(refused.value)
    assert "\n" not in said
    for expected in (
        "PORT must be a number, not 'eighty'",
        "DRAIN_SECONDS must be between 0.1 and 3600",
        "SOCKET_OUTBOX_FRAMES must be between 1 and 100000",
        "LLM_FALLBACK must be 'deterministic' or 'none'",
        "RUNS_QUEUED must be a whole number, not 2.5",
    ):
        assert expected in said, said


def test_blank_values_mean_the_defaults_and_only_the_given_mapping_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "not read: the mapping is the whole environment")
    settings = Settings.from_env({**ENV, "PORT": "  ", "ALLOWED_ORIGINS": " http://a , ,http://b"})
    assert (settings.port, settings.run_deadline_s, settings.drain_s) == (8080, 30.0, 10.0)
    assert (settings.access_token_ttl_s, settings.login_lockout_s) == (900, 900)
    assert (settings.delivery.socket_outbox_frames, settings.llm.enabled) == (1000, False)
    assert settings.allowed_origins == frozenset({"http://a", "http://b"})


def test_secrets_stay_out_of_reprs() -> None:
    settings = Settings.from_env(
        {**ENV, "LLM_BASE_URL": "http://127.0.0.1:1/v1", "LLM_API_KEY": "sk-x" * 8}
    )
    assert GOOD not in repr(settings) and "sk-x" not in repr(settings)
    assert settings.jwt_secret.get_secret_value() == GOOD


def test_the_build_commit_is_given_by_the_deploy_or_unknown() -> None:
    assert Settings.from_env(ENV).build_commit == "unknown"
    assert Settings.from_env({**ENV, "BUILD_COMMIT": " 0123abc "}).build_commit == "0123abc"
    with pytest.raises(SettingsError, match="BUILD_COMMIT must be 1 to 64 letters"):
        Settings.from_env({**ENV, "BUILD_COMMIT": 'abc"} evil'})
