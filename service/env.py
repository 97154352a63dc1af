"""Typed values read from the environment, refused with a clear message when they are wrong."""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(ValueError):
    """The environment does not describe a service that is safe to start."""


def env_number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}")
    return value
