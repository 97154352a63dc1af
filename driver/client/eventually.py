"""Assert an asynchronous outcome by retrying a check until it holds, never by sleeping blind."""

# The timeout is part of the failure message a reader sees, so it stays a parameter.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float,
    interval: float = ...,
    describe: str,
    retry_on: tuple[type[Exception], ...] = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    timeout: float,
    interval: float = ...,
    describe: str,
    retry_on: tuple[type[Exception], ...] = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Awaitable[T]] | Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.05,
    describe: str,
    retry_on: tuple[type[Exception], ...] = (AssertionError,),
) -> T:
    """Call `check` (sync or async) until it neither raises AssertionError nor returns False;
    return its value. At least one attempt is made. Past `timeout`, raise an AssertionError
    that starts with `describe` and ends with the last failure."""
    deadline = time.monotonic() + timeout
    attempts = 0
    last = "it was never checked"
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        limit = asyncio.timeout(max(remaining, interval))
        try:
            result = check()
            if inspect.isawaitable(result):
                async with limit:
                    result = await result
        except TimeoutError as exc:
            if limit.expired():
                last = f"the last check was still running after {timeout:g} s"
            elif any(issubclass(TimeoutError, kind) for kind in retry_on):
                last = f"TimeoutError: {exc}"
            else:
                raise
        except retry_on as exc:
            last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if result is not False:
                return cast(T, result)
            last = "the check answered False"
        if time.monotonic() + interval > deadline:
            raise AssertionError(
                f"{describe}: not so within {timeout:g} s ({attempts} checks; last: {last})"
            )
        await asyncio.sleep(interval)
