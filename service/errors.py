"""One exception hierarchy, each class mapped to one error code of the chat.v1 contract."""

from __future__ import annotations


class ServiceError(Exception):
    """An error a client may cause or see; never rendered as a 500."""

    code = "invalid_request"
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


class InvalidRequest(ServiceError):
    code, status = "invalid_request", 400


class InvalidToken(ServiceError):
    code, status = "invalid_token", 401


class TokenExpired(ServiceError):
    code, status = "token_expired", 401


class InvalidCredentials(ServiceError):
    code, status = "invalid_credentials", 401


class Forbidden(ServiceError):
    code, status = "forbidden", 403


class OriginNotAllowed(ServiceError):
    code, status = "origin_not_allowed", 403


class NotFound(ServiceError):
    code, status = "not_found", 404


class Conflict(ServiceError):
    code, status = "conflict", 409


class RateLimited(ServiceError):
    code, status = "rate_limited", 429


class TemporarilyUnavailable(ServiceError):
    code, status = "temporarily_unavailable", 503


class Busy(ServiceError):
    """The instance cannot queue another question now (chat only); nothing was stored."""

    code, status = "busy", 503
