"""Decide whether a question is about AI spend, and which feature or model it narrows to.

Feature and model names count when the question names them loosely ("the support bot" names
`support-bot`, "nightly reports" names `nightly-report`). Naming one is enough to be on topic:
those names come from the company's own usage data. A follow-up that names nothing ("And what
would that save in a year?") keeps the scope of the latest earlier question that named one.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from service.agents.model import Intent, Scope, TriageResult, name_key

_SPEND_WORDS = re.compile(
    r"\b(spen[dt]\w*|costs?|costly|costing|expens\w*|cheap\w*|sav(e|es|ed|ing|ings)|budget\w*"
    r"|bill\w*|invoice\w*|pric\w*|pay\w*|paid|charge[sd]?|money|dollars?|usage|tokens?"
    r"|models?|llms?|optimi[sz]\w*|cut|reduce|waste\w*|how much)\b"
)
# A name of more words is never recognised in a question: this bounds the work per word.
MAX_NAME_WORDS = 8
# Triage of a question this short over indexed names costs microseconds: done in place.
CHEAP_QUESTION_CHARS = 1000
INDEXES_KEPT = 32
# A follow-up that names nothing looks this many questions back for the scope it continues.
EARLIER_QUESTIONS_READ = 10
_REFERS_BACK = re.compile(
    r"\b(what about|how about|and for|and on|and the|only|just|instead|same|that|those|it)\b"
)


def triage(
    question: str,
    *,
    history: Sequence[str],
    known_features: Collection[str],
    known_models: Collection[str],
) -> TriageResult:
    """Classify a question; `history` holds the thread's earlier questions, oldest first."""
    text = question.casefold()
    scope = Scope(feature=_named(question, known_features), model=_named(question, known_models))
    named = scope != Scope()
    on_topic = named or _SPEND_WORDS.search(text) is not None
    if not on_topic:
        return TriageResult(Intent.UNSUPPORTED, Scope(), "not about AI spend, costs or usage")
    if history and (named or _REFERS_BACK.search(text)):
        if not named:
            scope = _earlier_scope(history, known_features, known_models)
        return TriageResult(Intent.FOLLOW_UP, scope, f"follow-up about {scope.describe()}")
    return TriageResult(Intent.SPEND, scope, f"question about the AI spend of {scope.describe()}")


def _earlier_scope(
    history: Sequence[str], known_features: Collection[str], known_models: Collection[str]
) -> Scope:
    """The scope of the latest of the recent earlier questions that named a feature or model."""
    for earlier in reversed(history[-EARLIER_QUESTIONS_READ:]):
        scope = Scope(feature=_named(earlier, known_features), model=_named(earlier, known_models))
        if scope != Scope():
            return scope
    return Scope()


def _named(question: str, names: Collection[str]) -> str | None:
    """The one name the question mentions, or `None` when it names none or several.

    A mention inside a longer one does not count: "gpt-4o-mini" does not also name "gpt-4o".
    One pass over the question's words, walking an index of the names (built once per set of
    names) at most `MAX_NAME_WORDS` deep from each word: the cost grows with the question, never
    with the number of names.
    """
    index = _index(_as_set(names))
    words = name_key(question).split("-")
    first_words = index.root.children
    mentioned: set[str] = set()
    reach = 0  # the furthest end of a mention that starts earlier
    for start, word in enumerate(words):
        if word not in first_words and word[:-1] not in first_words:
            continue  # the common case: no name starts here
        end, keys = _longest_at(index, words, start)
        if end > reach:  # not inside a longer mention that starts earlier
            mentioned.update(keys)
            reach = end
            if len(mentioned) > 1:  # no later mention can hide these: several names
                return None
    return index.names[mentioned.pop()] if mentioned else None


class _Node:
    """One word of a name in the index: the names that end here, the words that may follow."""

    __slots__ = ("children", "key")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.key: str | None = None


@dataclass(frozen=True)
class _Index:
    root: _Node
    names: dict[str, str]  # name key -> the name as uploaded
    depth: int  # words in the longest name


_indexes: OrderedDict[frozenset[str], _Index] = OrderedDict()
_indexes_lock = threading.Lock()  # triage runs on the event loop and in threads


def costly(question: str, names: Collection[str], *, history: Sequence[str] = ()) -> bool:
    """Whether triaging this question could take more than a fraction of a millisecond: a long
    question (with the earlier ones a follow-up may read), or a set of names not indexed yet (the
    caller then runs it off the event loop)."""
    earlier = sum(len(asked) for asked in history[-EARLIER_QUESTIONS_READ:])
    if len(question) + earlier > CHEAP_QUESTION_CHARS:
        return True
    with _indexes_lock:
        return _as_set(names) not in _indexes


def _as_set(names: Collection[str]) -> frozenset[str]:
    return names if isinstance(names, frozenset) else frozenset(names)


def _index(names: frozenset[str]) -> _Index:
    """The index of a set of names; the last `INDEXES_KEPT` sets used are kept (a person asks
    again and again over the same names)."""
    with _indexes_lock:
        if (found := _indexes.get(names)) is not None:
            _indexes.move_to_end(names)
            return found
    built = _build_index(names)
    with _indexes_lock:
        _indexes[names] = built
        while len(_indexes) > INDEXES_KEPT:
            _indexes.popitem(last=False)
    return built


def _build_index(names: frozenset[str]) -> _Index:
    by_key: dict[str, str] = {}
    for name in sorted(names, reverse=True):
        by_key[name_key(name)] = name  # names equal but for spelling: the first one, sorted
    root, depth = _Node(), 0
    for key in by_key:
        if not key:
            continue
        node = root
        words = key.split("-")
        depth = max(depth, len(words))
        for word in words:
            node = node.children.setdefault(word, _Node())
        node.key = key
    return _Index(root, by_key, min(depth, MAX_NAME_WORDS))


def _longest_at(index: _Index, words: list[str], start: int) -> tuple[int, list[str]]:
    """The longest mention starting at `words[start]`: its end and its keys (a plural may name
    two: "as" is "as", or "a" twice)."""
    node: _Node | None = index.root
    found: tuple[int, list[str]] = (0, [])
    for end in range(start, min(len(words), start + index.depth)):
        assert node is not None
        word = words[end]
        keys = []
        child = node.children.get(word)
        if child is not None and child.key:
            keys.append(child.key)
        if len(word) > 1 and word.endswith("s"):
            singular = node.children.get(word[:-1])
            if singular is not None and singular.key:
                keys.append(singular.key)
        if keys:
            found = (end + 1, keys)
        node = child
        if node is None:
            break
    return found
