"""Typed views of the contract's JSON answers; a missing or mistyped field is a violation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from driver.client.errors import ContractViolation

T = TypeVar("T")


def field(body: Mapping[str, Any], key: str, kind: type[T], where: str) -> T:
    value = body.get(key)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ContractViolation(f"{where} has no {kind.__name__} '{key}': {dict(body)!r}"[:500])
    return value


def optional_str(body: Mapping[str, Any], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ContractViolation(f"{where} has a non-text '{key}': {dict(body)!r}"[:500])
    return value


def as_object(body: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise ContractViolation(f"{where} is not a JSON object: {body!r}"[:500])
    return body


def as_list(body: Any, where: str) -> list[Any]:
    if not isinstance(body, list):
        raise ContractViolation(f"{where} is not a JSON list: {body!r}"[:500])
    return body


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"

    @classmethod
    def parse(cls, body: Any, where: str) -> Tokens:
        obj = as_object(body, where)
        return cls(
            access_token=field(obj, "access_token", str, where),
            refresh_token=field(obj, "refresh_token", str, where),
            expires_in=field(obj, "expires_in", int, where),
            token_type=field(obj, "token_type", str, where),
        )


@dataclass(frozen=True)
class Profile:
    user_id: str
    email: str
    name: str

    @classmethod
    def parse(cls, body: Any, where: str) -> Profile:
        obj = as_object(body, where)
        return cls(
            user_id=field(obj, "user_id", str, where),
            email=field(obj, "email", str, where),
            name=field(obj, "name", str, where),
        )


@dataclass(frozen=True)
class Thread:
    thread_id: str
    title: str
    created_at: str
    updated_at: str

    @classmethod
    def parse(cls, body: Any, where: str) -> Thread:
        obj = as_object(body, where)
        return cls(
            thread_id=field(obj, "thread_id", str, where),
            title=field(obj, "title", str, where),
            created_at=field(obj, "created_at", str, where),
            updated_at=field(obj, "updated_at", str, where),
        )


@dataclass(frozen=True)
class Message:
    message_id: str
    role: str
    text: str
    created_at: str
    run_id: str | None
    thread_id: str | None = None

    @classmethod
    def parse(cls, body: Any, where: str) -> Message:
        obj = as_object(body, where)
        role = field(obj, "role", str, where)
        if role not in ("user", "assistant"):
            raise ContractViolation(f"{where} has role {role!r}, not user or assistant")
        return cls(
            message_id=field(obj, "message_id", str, where),
            role=role,
            text=field(obj, "text", str, where),
            created_at=field(obj, "created_at", str, where),
            run_id=optional_str(obj, "run_id", where),
            thread_id=optional_str(obj, "thread_id", where),
        )


@dataclass(frozen=True)
class Ack:
    """The server's promise that a question is committed: which thread, message and run."""

    client_msg_id: str
    thread_id: str
    message_id: str
    run_id: str
    duplicate: bool
    at: float

    @classmethod
    def parse(cls, frame: Mapping[str, Any], at: float) -> Ack:
        where = "an ack frame"
        return cls(
            client_msg_id=field(frame, "client_msg_id", str, where),
            thread_id=field(frame, "thread_id", str, where),
            message_id=field(frame, "message_id", str, where),
            run_id=field(frame, "run_id", str, where),
            duplicate=field(frame, "duplicate", bool, where),
            at=at,
        )


@dataclass(frozen=True)
class ErrorFrame:
    """An `error` frame: the connection stays open."""

    code: str
    message: str
    ref: str | None
    at: float
    # Seconds to wait before resending (`busy`), when the service says.
    retry_after: float | None = None

    @property
    def status(self) -> None:
        """No HTTP status: the refusal came on an open chat."""
        return None

    @classmethod
    def parse(cls, frame: Mapping[str, Any], at: float) -> ErrorFrame:
        message = frame.get("message")
        ref = frame.get("ref")
        retry_after = frame.get("retry_after")
        return cls(
            code=str(frame.get("error")),
            message=message if isinstance(message, str) else "",
            ref=ref if isinstance(ref, str) else None,
            at=at,
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
        )
