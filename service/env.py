"""Settings read from environment variables, refused with one message naming every bad one.

Each settings model (`service.settings.Settings`, `service.delivery.settings.DeliverySettings`,
`service.agents.llm_settings.LlmSettings`) declares its variables as fields whose alias is the
variable's name, with their types and bounds. `from_env` reads one mapping (`os.environ` by
default) and nothing else, so a test's dict is the whole environment; a blank value means "the
default".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class SettingsError(ValueError):
    """The environment does not describe a service that is safe to start."""


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# A string whose surrounding blanks are not part of it (URLs, names, ids).
Stripped = Annotated[str, BeforeValidator(_stripped)]


class EnvSettings(BaseSettings):
    """A frozen settings model read from the variables named by its fields' aliases."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `from_env` hands the environment in: no second, implicit read of os.environ.
        return (init_settings,)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Environment variable name -> field name."""
        return {
            field.validation_alias: name
            for name, field in cls.model_fields.items()
            if isinstance(field.validation_alias, str)
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The settings of `env` (os.environ when None)."""
        try:
            return cls(**read(cls, env))
        except ValidationError as exc:
            raise SettingsError("; ".join(describe(cls, exc))) from None


# Settings that hold a credential: each may also be given as `<NAME>_FILE`, the path of a file
# holding it (the container convention: a mounted secret, not a variable that `ps` or a crash
# dump shows).
SECRET_SETTINGS = ("JWT_SECRET", "DATABASE_URL", "REDIS_URL", "LLM_API_KEY")
FILE_SUFFIX = "_FILE"


def with_secret_files(
    env: Mapping[str, str], names: tuple[str, ...] = SECRET_SETTINGS
) -> tuple[dict[str, str], dict[str, str]]:
    """`env` with each `<NAME>_FILE` read into `<NAME>`, and a sentence for each NAME refused:
    both given, or a file that cannot be read. The file's content is never quoted."""
    resolved = dict(env)
    problems: dict[str, str] = {}
    for name in names:
        path = env.get(name + FILE_SUFFIX, "").strip()
        if not path:
            continue
        if env.get(name, "").strip():
            problems[name] = f"{name} and {name}{FILE_SUFFIX} are both set: give only one"
            continue
        try:
            value = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            problems[name] = f"{name}{FILE_SUFFIX} {path!r} cannot be read: {reason}"
            continue
        # Without the trailing newline an editor or `echo` adds.
        value = value.rstrip("\r\n")
        if not value.strip():
            problems[name] = f"{name}{FILE_SUFFIX} {path!r} is empty"
            continue
        resolved[name] = value
    return resolved, problems


def read(model: type[EnvSettings], env: Mapping[str, str] | None) -> dict[str, Any]:
    """The model's variables that are set (not blank) in `env`, by variable name."""
    env = os.environ if env is None else env
    return {name: env[name] for name in model.variables() if env.get(name, "").strip()}


def describe(model: type[EnvSettings], exc: ValidationError) -> list[str]:
    """One plain sentence per bad variable, named as the operator wrote it."""
    return [_sentence(model, error) for error in exc.errors()]


def _sentence(model: type[EnvSettings], error: ErrorDetails) -> str:
    if not error["loc"]:  # a rule across variables: its message names them
        return str(error.get("ctx", {}).get("error", error["msg"]))
    name = str(error["loc"][0])
    raw = error["input"]
    kind = error["type"]
    if kind == "missing":
        return f"{name} is required"
    if kind in ("int_parsing", "float_parsing", "int_from_float"):
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return f"{name} must be a number, not {raw!r}"
        return f"{name} must be a whole number, not {value:g}"
    if kind in ("greater_than_equal", "less_than_equal", "finite_number"):
        low, high = _bounds(model, name)
        return f"{name} must be between {low:g} and {high:g}"
    if kind == "string_too_long":
        return f"{name} must be at most {error.get('ctx', {}).get('max_length')} characters"
    if kind == "bool_parsing":
        return f"{name} must be true or false, not {raw!r}"
    if kind == "value_error":
        return f"{name} {error.get('ctx', {}).get('error', error['msg'])}"
    return f"{name}: {error['msg']}"


def _bounds(model: type[EnvSettings], name: str) -> tuple[float, float]:
    field = model.model_fields[model.variables()[name]]
    # Field(ge=..., le=...) keeps each bound as its own metadata item (annotated_types.Ge/Le).
    low = next((m.ge for m in field.metadata if hasattr(m, "ge")), float("-inf"))
    high = next((m.le for m in field.metadata if hasattr(m, "le")), float("inf"))
    return float(low), float(high)
