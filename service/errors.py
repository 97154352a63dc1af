"""The errors a client may cause or see, each mapped to one error code of the chat.v1 contract.

The HTTP API answers them as `{"error": code, "message": ...}` with their status (and
`Retry-After` when `retry_after` is set); the chat answers them as `error` frames (`frame()`).
Anything else raised while serving a request is a defect of ours (or a dependency that is down:
see `service.resilience.failures.as_service_error`), never an answer a client can provoke.

    ServiceError                 (abstract)
    ├── InvalidRequest           invalid_request           400
    ├── InvalidToken             invalid_token             401
    ├── TokenExpired             token_expired             401
    ├── InvalidCredentials       invalid_credentials       401
    ├── Forbidden                forbidden                 403
    ├── OriginNotAllowed         origin_not_allowed        403
    ├── NotFound                 not_found                 404
    ├── Conflict                 conflict                  409
    ├── RateLimited              rate_limited              429
    │   ├── TooManyChats         too_many_chats            429 (before the chat's upgrade)
    │   └── QuotaReached         quota_reached             429 (a plan's quota: retry_after)
    ├── TemporarilyUnavailable   temporarily_unavailable   503
    ├── Busy                     busy                      503 (chat only)
    └── FrameError               (chat only: a refused frame, the socket stays open)
        ├── InvalidJson          invalid_json
        ├── InvalidFrame         invalid_frame
        └── UnknownType          unknown_type
"""

from __future__ import annotations

from typing import ClassVar

from service.contract import ErrorCode, Frame, error_frame


class ServiceError(Exception):
    """An error a client may cause or see; never rendered as a 500."""

    code: ClassVar[ErrorCode] = ErrorCode.INVALID_REQUEST
    status = 400

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        return body

    def frame(self, ref: str | None = None) -> Frame:
        """The chat's `error` frame for it; `ref` names the question or run it is about."""
        return error_frame(self.code, self.message, ref=ref, retry_after=self.retry_after)


class InvalidRequest(ServiceError):
    code, status = ErrorCode.INVALID_REQUEST, 400


class InvalidToken(ServiceError):
    code, status = ErrorCode.INVALID_TOKEN, 401


class TokenExpired(ServiceError):
    code, status = ErrorCode.TOKEN_EXPIRED, 401


class InvalidCredentials(ServiceError):
    code, status = ErrorCode.INVALID_CREDENTIALS, 401


class Forbidden(ServiceError):
    code, status = ErrorCode.FORBIDDEN, 403


class OriginNotAllowed(ServiceError):
    code, status = ErrorCode.ORIGIN_NOT_ALLOWED, 403


class NotFound(ServiceError):
    code, status = ErrorCode.NOT_FOUND, 404


class Conflict(ServiceError):
    code, status = ErrorCode.CONFLICT, 409


class RateLimited(ServiceError):
    code, status = ErrorCode.RATE_LIMITED, 429


class TooManyChats(RateLimited):
    """One chat more than a person may hold open, all instances together."""

    code = ErrorCode.TOO_MANY_CHATS


class QuotaReached(RateLimited):
    """The person has used all of a quota their plan allows until it resets (service/plans.py):
    the message names the quota and the plan, `retry_after` says when it resets."""

    code = ErrorCode.QUOTA_REACHED


class TemporarilyUnavailable(ServiceError):
    code, status = ErrorCode.TEMPORARILY_UNAVAILABLE, 503


class Busy(ServiceError):
    """The instance cannot queue another question now (chat only); nothing was stored."""

    code, status = ErrorCode.BUSY, 503


class FrameError(ServiceError):
    """A chat frame the service refuses; `ref` names the question it was about, if known."""

    def __init__(self, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.ref = ref


class InvalidJson(FrameError):
    code = ErrorCode.INVALID_JSON


class InvalidFrame(FrameError):
    code = ErrorCode.INVALID_FRAME


class UnknownType(FrameError):
    code = ErrorCode.UNKNOWN_TYPE
