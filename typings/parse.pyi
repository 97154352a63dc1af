# The part of `parse` the step modules use (parse ships no types).
from collections.abc import Callable
from typing import TypeVar

_F = TypeVar("_F", bound=Callable[..., object])

def with_pattern(pattern: str, regex_group_count: int | None = None) -> Callable[[_F], _F]: ...
