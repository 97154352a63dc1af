"""Decide whether a question is about AI spend, and which feature or model it narrows to.

Feature and model names count when the question names them loosely ("the support bot" names
`support-bot`, "nightly reports" names `nightly-report`). Naming one is enough to be on topic:
those names come from the company's own usage data. A follow-up that names nothing ("And what
would that save in a year?") keeps the scope of the latest earlier question that named one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from service.agents.model import Intent, Scope, TriageResult, name_key
from service.agents.name_index import INDEXES, NameIndex, Node

_SPEND_WORDS = re.compile(
    r"\b(spen[dt]\w*|costs?|costly|costing|expens\w*|cheap\w*|sav(e|es|ed|ing|ings)|budget\w*"
    r"|bill\w*|invoice\w*|pric\w*|pay\w*|paid|charge[sd]?|money|dollars?|usage|tokens?"
    r"|models?|llms?|optimi[sz]\w*|cut|reduce|waste\w*|how much)\b"
)
# A question about what one request or a thousand tokens costs gets the performance analysis
# (service/agents/performance.py) instead of the savings one.
_PER_UNIT = re.compile(
    r"\b(per|each|every)\s+(single\s+)?(request|call|query)\b"
    r"|\bper\s+((a\s+)?(thousand|million|1,?000|1k|1m)\s+)?tokens?\b|\bunit costs?\b"
)
# Triage of a question this short over indexed names costs microseconds: done in place.
CHEAP_QUESTION_CHARS = 1000
# A follow-up that names nothing looks this many questions back for the scope it continues (and
# the service reads no more of them: service/runs/executor.py).
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
    """Classify a question; `history` holds the thread's earlier questions, oldest first.

    Waits in this thread for the names' indexes (the service awaits them instead:
    service/agents/reasoner.py)."""
    return triage_over(
        question,
        history=history,
        features=INDEXES.index_now(as_set(known_features)),
        models=INDEXES.index_now(as_set(known_models)),
    )


def triage_over(
    question: str, *, history: Sequence[str], features: NameIndex, models: NameIndex
) -> TriageResult:
    """`triage` over the indexes of the known feature and model names."""
    text = question.casefold()
    scope = Scope(feature=_named(question, features), model=_named(question, models))
    named = scope != Scope()
    per_unit = _PER_UNIT.search(text) is not None
    on_topic = named or per_unit or _SPEND_WORDS.search(text) is not None
    if not on_topic:
        return TriageResult(Intent.UNSUPPORTED, Scope(), "not about AI spend, costs or usage")
    follow_up = bool(history) and (named or _REFERS_BACK.search(text) is not None)
    if follow_up and not named:
        scope = _earlier_scope(history, features, models)
    if per_unit:
        return TriageResult(
            Intent.PERFORMANCE,
            scope,
            f"{'follow-up' if follow_up else 'question'} about the cost per request and per "
            f"thousand tokens of {scope.describe()}",
        )
    if follow_up:
        return TriageResult(Intent.FOLLOW_UP, scope, f"follow-up about {scope.describe()}")
    return TriageResult(Intent.SPEND, scope, f"question about the AI spend of {scope.describe()}")


def _earlier_scope(history: Sequence[str], features: NameIndex, models: NameIndex) -> Scope:
    """The scope of the latest of the recent earlier questions that named a feature or model."""
    for earlier in reversed(history[-EARLIER_QUESTIONS_READ:]):
        scope = Scope(feature=_named(earlier, features), model=_named(earlier, models))
        if scope != Scope():
            return scope
    return Scope()


def _named(question: str, index: NameIndex) -> str | None:
    """The one name the question mentions, or `None` when it names none or several.

    A mention inside a longer one does not count: "gpt-4o-mini" does not also name "gpt-4o".
    One pass over the question's words, walking the index of the names at most
    `name_index.MAX_NAME_WORDS` deep from each word: the cost grows with the question, never
    with the number of names.
    """
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


def cheap(question: str, *, history: Sequence[str]) -> bool:
    """Whether triaging this question over built indexes takes at most a fraction of a
    millisecond (then it is done in place): a short question, with the earlier ones a follow-up
    may read."""
    earlier = sum(len(asked) for asked in history[-EARLIER_QUESTIONS_READ:])
    return len(question) + earlier <= CHEAP_QUESTION_CHARS


def as_set(names: Collection[str]) -> frozenset[str]:
    return names if isinstance(names, frozenset) else frozenset(names)


def _longest_at(index: NameIndex, words: list[str], start: int) -> tuple[int, list[str]]:
    """The longest mention starting at `words[start]`: its end and its keys (a plural may name
    two: "as" is "as", or "a" twice)."""
    node: Node | None = index.root
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
