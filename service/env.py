"""Settings read from environment variables, refused with one message naming every bad one.

Each settings model (`service.settings.Settings`, `service.delivery.settings.DeliverySettings`,
`service.agents.llm_settings.LlmSettings`) declares its variables as fields whose alias is the
variable's name, with their types and bounds. pydantic-settings reads them (its environment
source: names matched exactly, values handed to the fields' validators as written) from one
mapping, `os.environ` by default, so a test's dict is the whole environment; a blank value means
"the default". What stays ours, because pydantic-settings has no equivalent: `<NAME>_FILE`
secrets (its secrets_dir reads a folder of files named after the variables, and the service's
refusals, both given, unreadable, empty, are documented in docs/operations.md) and one plain
sentence per bad variable, named as the operator wrote it, instead of pydantic's error report.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources import DefaultSettingsSource


class SettingsError(ValueError):
    """The environment does not describe a service that is safe to start."""


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# A string whose surrounding blanks are not part of it (URLs, names, ids).
Stripped = Annotated[str, BeforeValidator(_stripped)]


def variables(model: type[BaseSettings]) -> set[str]:
    """The environment variables a settings model reads: its fields' aliases."""
    return {
        field.validation_alias
        for field in model.model_fields.values()
        if isinstance(field.validation_alias, str)
    }


class Environment(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping rather than `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        # Only the variables the fields' aliases name: pydantic-settings would also read a field
        # by its Python name (`port`, `model`: the models accept those from code) and read the
        # fields that are no variable (`login_max_failures`). A blank value is unset
        # (env_ignore_empty drops only the empty string).
        names = variables(settings_cls)
        self.environ = {
            name: value for name, value in environ.items() if name in names and value.strip()
        }
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # The hook pydantic-settings' own dotenv and cloud sources override to read elsewhere
        # (names kept as written: the models are case_sensitive).
        return self.environ


class EnvSettings(BaseSettings):
    """A frozen settings model read from the variables named by its fields' aliases."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        case_sensitive=True,
        # Values reach the validators as written (ALLOWED_ORIGINS is comma-separated, not JSON).
        enable_decoding=False,
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
        # A bare `Settings()` is its defaults and its arguments: the environment is read by
        # `from_env`, which also reads `<NAME>_FILE` secrets and applies the secret policy that
        # an implicit read of os.environ would skip.
        return (init_settings,)

    @classmethod
    def read_env(cls, env: Mapping[str, str] | None = None, **parts: Any) -> Self:
        """The model from `env` (os.environ when None), `parts` (its sub-settings, already read)
        taking precedence; pydantic's ValidationError when a variable is bad."""
        sources = (
            InitSettingsSource(cls, init_kwargs=parts),
            Environment(cls, os.environ if env is None else env),
            DefaultSettingsSource(cls),
        )
        # BaseSettings' `_build_sources` (pre-built sources); typed checkers see only the fields.
        return cls(_build_sources=(sources, parts))  # type: ignore[call-arg]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """The settings of `env` (os.environ when None)."""
        try:
            return cls.read_env(env)
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
    field = next(f for f in model.model_fields.values() if name in (f.alias, f.validation_alias))
    # Field(ge=..., le=...) keeps each bound as its own metadata item (annotated_types.Ge/Le).
    low = next((m.ge for m in field.metadata if hasattr(m, "ge")), float("-inf"))
    high = next((m.le for m in field.metadata if hasattr(m, "le")), float("inf"))
    return float(low), float(high)
