"""Settings from the environment (service/settings.py): one refusal naming every bad variable,
the documented defaults, and secrets that never show in a repr or a log line."""

from __future__ import annotations

import secrets
from pathlib import Path

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


def test_only_the_documented_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field's name in code (`port`, `model`), a value that is no variable
    (`login_max_failures`) and lower case are not settings; a bare constructor reads nothing."""
    odd = {"port": "1", "Port": "2", "model": "x", "login_max_failures": "1", "llm": "{}"}
    settings = Settings.from_env({**ENV, **odd})
    assert (settings.port, settings.llm.model, settings.login_max_failures) == (
        8080,
        "gpt-4o-mini",
        5,
    )
    monkeypatch.setenv("PORT", "1")
    assert Settings(database_url="d", redis_url="redis://r", jwt_secret=GOOD).port == 8080


def test_secrets_stay_out_of_reprs() -> None:
    settings = Settings.from_env(
        {**ENV, "LLM_BASE_URL": "http://127.0.0.1:1/v1", "LLM_API_KEY": "sk-x" * 8}
    )
    assert GOOD not in repr(settings) and "sk-x" not in repr(settings)
    assert settings.jwt_secret.get_secret_value() == GOOD


# --- secrets from files (`<NAME>_FILE`, the container convention) --------------------------------


def _file(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_each_secret_may_come_from_a_file_without_its_trailing_newline(tmp_path: Path) -> None:
    env = {
        "JWT_SECRET_FILE": _file(tmp_path, "jwt", GOOD + "\n"),
        "DATABASE_URL_FILE": _file(tmp_path, "db", "postgresql://app:pw@db/chat\n"),
        "REDIS_URL_FILE": _file(tmp_path, "redis", "redis://:pw@cache/0"),
        "LLM_BASE_URL": "http://127.0.0.1:1/v1",
        "LLM_API_KEY_FILE": _file(tmp_path, "llm", "sk-from-a-file\r\n"),
    }
    settings = Settings.from_env(env)
    assert settings.jwt_secret.get_secret_value() == GOOD
    assert settings.database_url == "postgresql://app:pw@db/chat"
    assert settings.redis_url == "redis://:pw@cache/0"
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-from-a-file"


@pytest.mark.parametrize("name", ["JWT_SECRET", "DATABASE_URL", "REDIS_URL", "LLM_API_KEY"])
def test_a_secret_given_both_ways_is_refused(tmp_path: Path, name: str) -> None:
    env = {**ENV, name: ENV.get(name, "sk-direct"), f"{name}_FILE": _file(tmp_path, "s", "x" * 40)}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert str(refused.value) == f"{name} and {name}_FILE are both set: give only one"


def test_an_unreadable_or_empty_secret_file_is_refused_in_one_line_without_its_content(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "nowhere")
    env = {k: v for k, v in ENV.items() if k != "JWT_SECRET"}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**env, "JWT_SECRET_FILE": missing})
    # Said once: not also "JWT_SECRET is required".
    assert (
        str(refused.value)
        == f"JWT_SECRET_FILE {missing!r} cannot be read: No such file or directory"
    )
    with pytest.raises(SettingsError, match=r"JWT_SECRET_FILE .* is empty"):
        Settings.from_env({**env, "JWT_SECRET_FILE": _file(tmp_path, "blank", "\n")})
    directory = str(tmp_path)
    with pytest.raises(SettingsError, match="cannot be read: Is a directory"):
        Settings.from_env({**env, "JWT_SECRET_FILE": directory})


def test_the_secret_policy_checks_the_files_value(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "JWT_SECRET"}
    with pytest.raises(SettingsError, match="JWT_SECRET must be at least 32 bytes"):
        Settings.from_env({**env, "JWT_SECRET_FILE": _file(tmp_path, "short", "short\n")})
    shared = {**env, "JWT_SECRET_FILE": _file(tmp_path, "jwt", GOOD), "LLM_API_KEY": GOOD}
    with pytest.raises(SettingsError, match="LLM_API_KEY holds the same secret"):
        Settings.from_env(shared)


# --- the edge: trusted proxies, pool sizes ------------------------------------------------------


def test_trusted_proxies_are_addresses_or_networks_of_either_family() -> None:
    assert Settings.from_env(ENV).trusted_proxies == ()
    settings = Settings.from_env(
        {**ENV, "TRUSTED_PROXIES": " 10.0.0.7, 10.1.0.0/16 ,fd00::/8,::1 "}
    )
    assert [str(n) for n in settings.trusted_proxies] == [
        "10.0.0.7/32",
        "10.1.0.0/16",
        "fd00::/8",
        "::1/128",
    ]
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**ENV, "TRUSTED_PROXIES": "10.0.0.1, proxy.internal"})
    assert str(refused.value) == (
        "TRUSTED_PROXIES must be comma-separated IP addresses or networks (CIDR), "
        "not 'proxy.internal'"
    )


def test_pool_sizes_default_to_what_they_were_and_are_bounded() -> None:
    settings = Settings.from_env(ENV)
    assert (
        settings.database_pool_size,
        settings.database_pool_overflow,
        settings.hot_path_pool_size,
        settings.redis_max_connections,
    ) == (10, 10, 24, 64)
    with pytest.raises(SettingsError, match="HOT_PATH_POOL_SIZE must be between 1 and 1000"):
        Settings.from_env({**ENV, "HOT_PATH_POOL_SIZE": "0"})


def test_the_build_commit_is_given_by_the_deploy_or_unknown() -> None:
    assert Settings.from_env(ENV).build_commit == "unknown"
    assert Settings.from_env({**ENV, "BUILD_COMMIT": " 0123abc "}).build_commit == "0123abc"
    with pytest.raises(SettingsError, match="BUILD_COMMIT must be 1 to 64 letters"):
        Settings.from_env({**ENV, "BUILD_COMMIT": 'abc"} evil'})


def test_the_rules_per_address_have_settings() -> None:
    settings = Settings.from_env(ENV)
    assert (
        settings.password_queue_per_address,
        settings.client_ipv4_prefix,
        settings.client_ipv6_prefix,
    ) == (1000, 32, 64)
    raised = Settings.from_env(
        {**ENV, "PASSWORD_QUEUE_PER_ADDRESS": "100000", "CLIENT_IPV6_PREFIX": "56"}
    )
    assert (raised.password_queue_per_address, raised.client_ipv6_prefix) == (100_000, 56)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**ENV, "CLIENT_IPV4_PREFIX": "33", "CLIENT_IPV6_PREFIX": "8"})
    assert "CLIENT_IPV4_PREFIX must be between 8 and 32" in str(refused.value)
    assert "CLIENT_IPV6_PREFIX must be between 16 and 128" in str(refused.value)


def test_settings_once_unchecked_are_checked() -> None:
    # Issue 18, "settings still unchecked": each of these used to start the service.
    bad = {
        "LOG_LEVEL": "chatty",
        "REDIS_URL": "http://cache:6379",
        "ALLOWED_ORIGINS": "https://chat.example.com/app",
        "JWT_ISSUER": "i" * 300,
        "LLM_MODEL": "m" * 300,
        "API_PER_SECOND": "0",
    }
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**ENV, **bad})
    said = str(refused.value)
    for expected in (
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        "REDIS_URL must be a redis://, rediss:// or unix:// URL",
        "ALLOWED_ORIGINS must list origins like https://chat.example.com, not",
        "JWT_ISSUER must be at most 256 characters",
        "LLM_MODEL must be at most 200 characters",
        "API_PER_SECOND must be between 0.001 and 100000",
    ):
        assert expected in said, said
    fine = Settings.from_env(
        {**ENV, "LOG_LEVEL": " warning ", "ALLOWED_ORIGINS": "https://a.example:8443"}
    )
    assert fine.log_level == "WARNING"
