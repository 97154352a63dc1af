"""Why the service turned someone away or closed their chat, in a scenario's words, and what
chat.v1 answers for it.

The one table between business outcomes ("the pass has expired") and the contract's answers
(401 `token_expired`, close 4401): a step names the outcome, the driver checks the service's
answer against it and, when it differs, says in the same words what the person was told instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol, runtime_checkable

from driver.client.contract import CLOSE_CODES, CloseCode, ErrorCode


@dataclass(frozen=True)
class Said:
    """What the contract answers for one outcome: an error code, and the HTTP status when the
    refusal comes as an HTTP answer (a socket's error frame has none)."""

    code: ErrorCode
    status: HTTPStatus | None = None

    def matches(self, answer: Answer) -> bool:
        status = answer.status
        return answer.code == self.code and (status is None or status == self.status)


@runtime_checkable
class Answer(Protocol):
    """Any refusal the driver reports: errors.Refused, and the attempts' Refusal and
    BrowserAnswer (driver/actors/tasks/attempts.py)."""

    @property
    def status(self) -> int | None: ...

    @property
    def code(self) -> str: ...


_UNAUTHORIZED, _BAD, _LIMITED = (
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.TOO_MANY_REQUESTS,
)

# Several outcomes share an answer (the service does not say whether a pass was missing or
# forged, on purpose): the first of them is how an answer is told back.
REFUSALS: Mapping[str, Said] = {
    "the pass is not valid": Said(ErrorCode.INVALID_TOKEN, _UNAUTHORIZED),
    "no pass was shown": Said(ErrorCode.INVALID_TOKEN, _UNAUTHORIZED),
    "the renewal was already used": Said(ErrorCode.INVALID_TOKEN, _UNAUTHORIZED),
    "the pass has expired": Said(ErrorCode.TOKEN_EXPIRED, _UNAUTHORIZED),
    "the email or password is not correct": Said(ErrorCode.INVALID_CREDENTIALS, _UNAUTHORIZED),
    "the page is not ours": Said(ErrorCode.ORIGIN_NOT_ALLOWED, HTTPStatus.FORBIDDEN),
    "there is no such conversation": Said(ErrorCode.NOT_FOUND, HTTPStatus.NOT_FOUND),
    "the account already exists": Said(ErrorCode.CONFLICT, HTTPStatus.CONFLICT),
    "she has too many chats open": Said(ErrorCode.TOO_MANY_CHATS, _LIMITED),
    "there were too many attempts": Said(ErrorCode.RATE_LIMITED, _LIMITED),
    "she has asked all the questions her plan allows today": Said(ErrorCode.QUOTA_REACHED),
    "her account is not on the Enterprise plan": Said(ErrorCode.FORBIDDEN, HTTPStatus.FORBIDDEN),
    "the request was out of bounds": Said(ErrorCode.INVALID_REQUEST, _BAD),
    "the chat's version was not named": Said(ErrorCode.INVALID_REQUEST, _BAD),
    "the assistant is busy": Said(ErrorCode.BUSY),
    "the service is briefly unavailable": Said(
        ErrorCode.TEMPORARILY_UNAVAILABLE, HTTPStatus.SERVICE_UNAVAILABLE
    ),
    # A garbled message on an open chat: told what was wrong, and the chat stays open.
    "the message cannot be read": Said(ErrorCode.INVALID_JSON),
    "the message is incomplete or wrong": Said(ErrorCode.INVALID_FRAME),
    "the request is of an unknown kind": Said(ErrorCode.UNKNOWN_TYPE),
}
BAD_MESSAGES = (
    "the message cannot be read",
    "the message is incomplete or wrong",
    "the request is of an unknown kind",
)


def reason(answer: Answer) -> str:
    """The business outcome an answer means, or what it was when chat.v1 has no such outcome."""
    for outcome, said in REFUSALS.items():
        if said.matches(answer):
            return outcome
    status = f"{answer.status} " if answer.status is not None else ""
    return f"of an answer no outcome names ({status}{answer.code})"


def is_refused_because(answer: Answer, outcome: str) -> bool:
    return REFUSALS[outcome].matches(answer)


@dataclass(frozen=True)
class _Code:
    """A bare error code a task reported, without the rest of the answer."""

    code: str
    status: None = None

    def __str__(self) -> str:
        return f"answered {self.code}"


def expect_refused(result: object, because: str, *, who: str) -> None:
    """Raise AssertionError, in business words, unless `who` was refused because `because`.

    `result` is what a task returned: a refusal, a bare error code, or anything else (a new
    pass, an open chat, None) when the service let `who` through."""
    answer = _Code(result) if isinstance(result, str) else result
    if not isinstance(answer, Answer):
        raise AssertionError(f"{who} was not refused, although {because}")
    if not is_refused_because(answer, because):
        raise AssertionError(
            f"{who} was refused because {reason(answer)}, not because {because} ({_said(answer)})"
        )


def expect_all_refused(answers: Iterable[Answer], because: str, *, who: str) -> None:
    """Every answer refuses `who` because `because` (a door that refuses oddly is a finding)."""
    answers = list(answers)
    wrong = [a for a in answers if not is_refused_because(a, because)]
    if not answers or wrong:
        told = "; ".join(f"because {reason(a)} ({_said(a)})" for a in wrong) or "never asked"
        raise AssertionError(f"{who} was not always refused because {because}: {told}")


def _said(answer: Answer) -> str:
    """The protocol detail, for the reader who debugs: `the chat answered 401 invalid_token`."""
    return str(answer)


# Why a chat was closed, in a scenario's words -> the close code chat.v1 gives for it.
CLOSES: Mapping[str, CloseCode] = {
    "the pass ended": CloseCode.PASS_ENDED,
    "the server is going away": CloseCode.GOING_AWAY,
    "it fell too far behind": CloseCode.TOO_SLOW,
    "the message was too large": CloseCode.TOO_BIG,
    "of breaking the rules": CloseCode.POLICY,
    "of flooding": CloseCode.RATE_LIMITED,
}


def closed_because(code: int) -> str:
    """The business reason a close code means."""
    for outcome, close in CLOSES.items():
        if code == close:
            return outcome
    return f"of {CLOSE_CODES.get(code, 'something chat.v1 does not name')} ({code})"


def expect_closed(code: int | None, because: str, *, who: str) -> None:
    """Raise AssertionError, in business words, unless `who` was closed because `because`."""
    if code is None:
        raise AssertionError(f"{who} was not closed, although {because}")
    if code != CLOSES[because]:
        raise AssertionError(
            f"{who} was closed because {closed_because(code)}, not because {because}"
        )
