# The part of `parse_type` steps/_parameter_types.py uses (parse_type ships no types).
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

class TypeConverter(Protocol):
    """A parameter type: converts the matched text; `pattern` is the regex it matches."""

    pattern: str
    def __call__(self, text: str, /) -> Any: ...

class TypeBuilder:
    @classmethod
    def make_choice(
        cls,
        choices: Sequence[str],
        transform: Callable[[str], Any] | None = None,
        strict: bool | None = None,
    ) -> TypeConverter: ...
    @staticmethod
    def make_enum(enum_mappings: Mapping[str, Any]) -> TypeConverter: ...
