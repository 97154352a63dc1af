"""The index of a person's feature or model names that triage walks, and the indexes kept.

What one person's names can cost is bounded, whatever they uploaded: an index holds at most
`MAX_INDEXED_NAMES` names of at most `MAX_NAME_WORDS` words each (about 60 MB at worst, built in
about a second). 100,000 names of 50 words each used to make an index of about 1 GB per question.

Each set of names is built once (single flight: every question over the same set awaits the one
build), on a small executor of its own (never the event loop's default pool, which the rest of
the service shares), and the indexes kept are bounded in bytes (an estimate made while building),
least recently used first out.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

# A name of more words is never recognised in a question (each walk is at most this deep), so
# it is not indexed either.
MAX_NAME_WORDS = 8
# Uploads bound a name to 100 characters: this bounds the work and the weight of each one.
MAX_NAME_CHARS = 200
# Names indexed per set: beyond this, those first in name order. The service reads at most
# `NAMES_READ` of each kind (the most recently reported), which leaves room for the catalogue's
# models; the tests' largest sets hold 20,002 names.
MAX_INDEXED_NAMES = 25_000
NAMES_READ = 20_000
# What the indexes kept may weigh together: two of the largest, or thousands of usual ones.
KEPT_BYTES = 128 * 2**20
BUILD_WORKERS = 2
THREAD_PREFIX = "triage"

# The estimate's weights, measured with tracemalloc on CPython 3.12 (tests/test_triage_index.py
# keeps them honest): a node with its slot in its parent's dict and its own dict of children,
# and a name's entry in the dict of names.
_NODE_BYTES = 260
_NAME_BYTES = 200
_HELD_NAME_BYTES = 100
_FIXED_BYTES = 1024
# What `name_key` turns into one "-".
_SEPARATORS = re.compile(r"[\W_]+")

P = ParamSpec("P")
T = TypeVar("T")


class Node:
    """One word of a name in the index: the name that ends here, the words that may follow."""

    __slots__ = ("children", "key")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.key: str | None = None


@dataclass(frozen=True)
class NameIndex:
    root: Node
    names: dict[str, str]  # name key -> the name as uploaded
    depth: int  # words in the longest name
    size_bytes: int  # an estimate of what the index weighs


def build(names: Collection[str]) -> NameIndex:
    """The index of at most `MAX_INDEXED_NAMES` of these names (those first in order of their
    keys), each of at most `MAX_NAME_WORDS` words."""
    by_key: dict[str, str] = {}
    for name in sorted(names, reverse=True):
        key = _key(name)
        if key:  # names equal but for spelling: the first one, sorted
            by_key[key] = name
    if len(by_key) > MAX_INDEXED_NAMES:
        by_key = {key: by_key[key] for key in sorted(by_key)[:MAX_INDEXED_NAMES]}
    root, depth, nodes, chars = Node(), 0, 1, 0
    for key in by_key:
        node = root
        words = key.split("-")
        depth = max(depth, len(words))
        for word in words:
            child = node.children.get(word)
            if child is None:
                child = node.children[word] = Node()
                nodes += 1
                chars += len(word)
            node = child
        node.key = key
        chars += len(key)
    # The set of names weighs too: it is what the index is kept under.
    held = sum(len(name) for name in names) + len(names) * _HELD_NAME_BYTES
    size = _FIXED_BYTES + nodes * _NODE_BYTES + len(by_key) * _NAME_BYTES + chars + held
    return NameIndex(root, by_key, depth, size)


def _key(name: str) -> str | None:
    """`name_key(name)`, or `None` for a name too long to index; splits no further than that."""
    if len(name) > MAX_NAME_CHARS:
        return None
    parts = _SEPARATORS.split(name.casefold(), maxsplit=MAX_NAME_WORDS + 1)
    words = [part for part in parts if part]  # empty: a separator at either end
    return "-".join(words) if len(words) <= MAX_NAME_WORDS else None


class NameIndexes:
    """The indexes of the name sets asked about lately, at most `kept_bytes` of them together."""

    def __init__(self, *, kept_bytes: int = KEPT_BYTES, workers: int = BUILD_WORKERS) -> None:
        self.kept_bytes = kept_bytes
        self.builds = 0  # how many indexes were built (single flight: one per set in use)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=THREAD_PREFIX)
        self._lock = threading.Lock()  # asked from the event loop and from threads
        # Builds under way too (not done, not yet weighed), so later askers await them.
        self._kept: OrderedDict[frozenset[str], Future[NameIndex]] = OrderedDict()
        self._sizes: dict[frozenset[str], int] = {}
        self._bytes = 0

    @property
    def bytes_kept(self) -> int:
        with self._lock:
            return self._bytes

    def __contains__(self, names: frozenset[str]) -> bool:
        with self._lock:
            return names in self._kept

    async def index(self, names: frozenset[str]) -> NameIndex:
        """The index of `names`, built on this executor if no one has built it already."""
        future = self._future(names)
        if future.done():
            return future.result()
        # Shielded: a question that gives up (its deadline) must not cancel the build that
        # other questions await.
        return await asyncio.shield(asyncio.wrap_future(future))

    def index_now(self, names: frozenset[str]) -> NameIndex:
        """`index`, waiting in this thread (never call it on this executor's own threads)."""
        return self._future(names).result()

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(...)` on this executor (triage work that is too long for the event loop)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(work, *args, **kwargs))

    def _future(self, names: frozenset[str]) -> Future[NameIndex]:
        with self._lock:
            found = self._kept.get(names)
            if found is not None:
                self._kept.move_to_end(names)
                return found
            future = self._executor.submit(self._build, names)
            self._kept[names] = future
            self.builds += 1
            return future

    def _build(self, names: frozenset[str]) -> NameIndex:
        try:
            built = build(names)
        except BaseException:
            with self._lock:
                self._kept.pop(names, None)  # the next question tries again
            raise
        with self._lock:
            if built.size_bytes > self.kept_bytes:
                self._kept.pop(names, None)  # kept, it would push out every other one
            elif names in self._kept:
                self._sizes[names] = built.size_bytes
                self._bytes += built.size_bytes
                self._evict()
        return built

    def _evict(self) -> None:
        """Least recently used first, builds under way never (they weigh nothing yet)."""
        for names in list(self._kept):
            if self._bytes <= self.kept_bytes:
                return
            if (size := self._sizes.pop(names, None)) is not None:
                del self._kept[names]
                self._bytes -= size


INDEXES = NameIndexes()
