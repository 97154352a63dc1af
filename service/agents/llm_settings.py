"""Settings of the optional LLM provider (`service.agents.llm`), read with the service's.

Apart from the provider itself so that reading settings does not import the HTTP client: a
misconfigured start is refused in a fraction of a second.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from service.env import EnvSettings, Stripped

FALLBACKS = {"deterministic": True, "none": False}


class LlmSettings(EnvSettings):
    """The optional model provider. Without `LLM_BASE_URL` the deterministic reasoner answers."""

    base_url: str | None = Field(default=None, alias="LLM_BASE_URL")
    model: Stripped = Field(default="gpt-4o-mini", max_length=200, alias="LLM_MODEL")
    api_key: SecretStr | None = Field(default=None, alias="LLM_API_KEY")
    # Each attempt's time limit, and the attempts after the first one.
    timeout_s: float = Field(
        default=10.0, ge=0.01, le=600, allow_inf_nan=False, alias="LLM_TIMEOUT_SECONDS"
    )
    retries: int = Field(default=2, ge=0, le=10, alias="LLM_RETRIES")
    stream: bool = Field(default=False, alias="LLM_STREAM")
    # `LLM_FALLBACK`: `deterministic` (the default) answers without the model when it cannot be
    # reached; `none` ends the run with `agent_error` `llm_unavailable` instead.
    fallback: bool = Field(default=True, alias="LLM_FALLBACK")

    @property
    def enabled(self) -> bool:
        return self.base_url is not None

    @field_validator("base_url", mode="before")
    @classmethod
    def _an_http_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        url = value.strip().rstrip("/")
        if not url:
            return None
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return url

    @field_validator("api_key", mode="before")
    @classmethod
    def _no_blank_key(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("fallback", mode="before")
    @classmethod
    def _fallback(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        choice = value.strip().lower()
        if choice not in FALLBACKS:
            raise ValueError("must be 'deterministic' or 'none'")
        return FALLBACKS[choice]
