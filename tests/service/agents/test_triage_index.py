"""What one person's names can cost triage (issue 18, finding 1).

The index of a set of names is bounded (names indexed, words of each), built once however many
questions over that set arrive together, built off the event loop's shared default pool, and the
indexes kept are bounded in bytes. 100,000 names of 50 words each used to cost an index of about
1 GB and seconds of CPU per question, built again by every question in flight.
"""

from __future__ import annotations

import asyncio
import random
import string
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.agents import name_index
from service.agents.model import Intent, name_key
from service.agents.name_index import (
    MAX_INDEXED_NAMES,
    MAX_NAME_WORDS,
    NAMES_READ,
    NameIndex,
    NameIndexes,
    build,
)
from service.agents.reasoner import DeterministicReasoner
from service.agents.triage import triage

MODELS = frozenset({"gpt-4o"})


def _words(count: int, letters: int, rng: random.Random) -> str:
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=letters)) for _ in range(count))


def _traced(work: Callable[[], NameIndex]) -> tuple[NameIndex, int, float]:
    """The index, the bytes it holds (tracemalloc) and the seconds the work took."""
    tracemalloc.start()
    try:
        began = time.perf_counter()
        built = work()
        took = time.perf_counter() - began
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return built, held, took


# --- the bounds ------------------------------------------------------------------------------


@pytest.mark.timing
def test_as_many_long_names_as_the_service_reads_build_almost_nothing_quickly() -> None:
    # The attack's shape, 100 characters of one-letter words: no such name can ever be
    # recognised (a walk is at most MAX_NAME_WORDS deep), so none is indexed. Unbounded, these
    # made an index of about 220 MB in about 3 s.
    rng = random.Random(18)
    names = frozenset(f"{_words(49, 1, rng)} {i}" for i in range(NAMES_READ))
    began = time.perf_counter()
    index = build(names)
    took = time.perf_counter() - began
    assert index.names == {}
    _, held, _ = _traced(lambda: build(names))
    assert held < 5 * 2**20, f"{held / 2**20:.0f} MB for names none of which can be recognised"
    assert took < 2.0, f"{took:.2f} s to index nothing"


@pytest.mark.timing
def test_a_huge_set_of_names_builds_a_bounded_index() -> None:
    # 100,000 names of eight 11-letter words (every one could be recognised): only the first
    # MAX_INDEXED_NAMES are indexed. Unbounded: about 240 MB.
    rng = random.Random(18)
    names = frozenset(_words(MAX_NAME_WORDS, 11, rng) for _ in range(100_000))
    index, held, took = _traced(lambda: build(names))
    assert len(index.names) == MAX_INDEXED_NAMES
    assert sorted(index.names) == sorted(name_key(name) for name in names)[:MAX_INDEXED_NAMES]
    assert held < 80 * 2**20, f"the index holds {held / 2**20:.0f} MB"
    assert took < 40, f"{took:.1f} s to build"  # under tracemalloc; about 1 s without


def test_names_of_up_to_eight_words_are_recognised_as_before() -> None:
    eight = "the very long nightly batch summary report job"
    nine = "the very long nightly batch summary report job two"
    known = frozenset({eight, nine})
    result = triage(
        f"What does {eight} cost?", history=[], known_features=known, known_models=MODELS
    )
    assert result.scope.feature == eight
    result = triage(
        f"What does {nine} cost?", history=[], known_features=known, known_models=MODELS
    )
    assert result.scope.feature == eight  # as before: a nine-word name was never reached


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=120))
def test_the_bounded_key_is_the_name_key(name: str) -> None:
    key = name_index._key(name)
    words = name_key(name).split("-") if name_key(name) else []
    if len(name) <= name_index.MAX_NAME_CHARS and len(words) <= MAX_NAME_WORDS:
        assert key == name_key(name)
    else:
        assert not key


# --- the size estimate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: {"support-bot", "nightly-report", "gpt-4o"},
        lambda rng: {f"feature-{i}" for i in range(20_000)},
        lambda rng: {_words(MAX_NAME_WORDS, 11, rng) for _ in range(20_000)},
        lambda rng: {_words(1, 100, rng) for _ in range(20_000)},
    ],
    ids=["three", "20k-two-words", "20k-eight-words", "20k-one-long-word"],
)
def test_the_estimated_size_is_what_the_names_and_index_hold(
    make: Callable[[random.Random], set[str]],
) -> None:
    raw = list(make(random.Random(18)))
    # The set of names (what the index is kept under) and the index, measured together: the
    # names are copied while tracing, as they are read from the database for each question.
    index, held, _ = _traced(lambda: build(frozenset("".join(name) for name in raw)))
    assert held <= index.size_bytes <= 3 * held + 4096, (
        f"estimated {index.size_bytes:,} bytes, held {held:,}"
    )


# --- single flight -----------------------------------------------------------------------------


def _twenty_thousand_names(tag: str) -> Callable[[], frozenset[str]]:
    # A fresh (equal) set each time, as each question reads the names from the database anew.
    return lambda: frozenset(f"{tag}-{i}" for i in range(20_000))


async def test_questions_over_one_set_of_names_at_once_share_one_build() -> None:
    indexes = NameIndexes()
    names = _twenty_thousand_names("single-flight")
    found = await asyncio.gather(*(indexes.index(names()) for _ in range(20)))
    assert indexes.builds == 1
    assert all(index is found[0] for index in found)


def test_threads_asking_for_one_set_of_names_at_once_share_one_build() -> None:
    indexes = NameIndexes()
    names = _twenty_thousand_names("threads")
    with ThreadPoolExecutor(max_workers=8) as askers:
        found = list(askers.map(lambda _: indexes.index_now(names()), range(8)))
    assert indexes.builds == 1
    assert all(index is found[0] for index in found)


async def test_a_question_that_gives_up_leaves_the_build_to_the_others() -> None:
    indexes = NameIndexes(workers=1)
    blocker = asyncio.ensure_future(indexes.index(_twenty_thousand_names("first")()))
    names = _twenty_thousand_names("shared")
    impatient = asyncio.ensure_future(indexes.index(names()))
    patient = asyncio.ensure_future(indexes.index(names()))
    await asyncio.sleep(0)  # each asks once
    assert names() in indexes
    impatient.cancel()  # its build is still queued behind the first one
    await blocker
    assert len((await patient).names) == 20_000
    assert indexes.builds == 2


# --- the cache's bound in bytes ------------------------------------------------------------------


def test_indexes_kept_past_the_byte_bound_are_evicted_least_recently_used_first() -> None:
    sets = [frozenset(f"{tag}-{i}" for i in range(2_000)) for tag in "abcd"]
    one = build(sets[0]).size_bytes
    indexes = NameIndexes(kept_bytes=int(2.5 * one))
    for names in sets[:2]:
        indexes.index_now(names)
    indexes.index_now(sets[0])  # a used again: b is now the least recently used
    indexes.index_now(sets[2])
    assert sets[0] in indexes and sets[2] in indexes
    assert sets[1] not in indexes
    assert indexes.bytes_kept <= indexes.kept_bytes
    indexes.index_now(sets[3])
    assert sets[0] not in indexes
    assert indexes.builds == 4


def test_one_large_index_takes_the_place_of_many_small_ones() -> None:
    small = [frozenset({f"small-{i}", "support-bot"}) for i in range(40)]  # more than 32 sets
    large = frozenset(f"large-{i}" for i in range(10_000))
    # Room for all the small ones, or for the large one and 20 small ones.
    indexes = NameIndexes(kept_bytes=build(large).size_bytes + 20 * build(small[-1]).size_bytes)
    for names in small:
        indexes.index_now(names)
    assert all(names in indexes for names in small)
    indexes.index_now(large)
    assert large in indexes
    assert indexes.bytes_kept <= indexes.kept_bytes
    assert [names in indexes for names in small] == [False] * 20 + [True] * 20


def test_an_index_heavier_than_the_bound_is_used_but_not_kept() -> None:
    indexes = NameIndexes(kept_bytes=2**20)
    small = frozenset({"support-bot"})
    indexes.index_now(small)
    large = frozenset(f"large-{i}" for i in range(10_000))
    assert len(indexes.index_now(large).names) == 10_000
    assert large not in indexes and small in indexes


def test_two_of_the_largest_indexes_the_service_builds_fit_the_bound() -> None:
    rng = random.Random(18)
    names = frozenset(_words(MAX_NAME_WORDS, 11, rng) for _ in range(MAX_INDEXED_NAMES))
    assert 2 * build(names).size_bytes <= name_index.KEPT_BYTES


# --- off the shared default pool -----------------------------------------------------------------


class _CountingPool(ThreadPoolExecutor):
    """The event loop's default pool, counting what is handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.jobs = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
async def default_pool() -> AsyncIterator[_CountingPool]:
    pool = _CountingPool()
    asyncio.get_running_loop().set_default_executor(pool)
    yield pool
    pool.shutdown()


async def test_triage_builds_and_walks_off_the_default_pool(default_pool: _CountingPool) -> None:
    known = frozenset(f"off-the-pool-{i}" for i in range(5_000)) | {"support-bot"}
    question = "as " * 1_000 + "what does the support bot cost?"  # long: walked off the loop
    result = await DeterministicReasoner().triage(
        question, history=[], known_features=known, known_models=MODELS
    )
    assert result.intent is Intent.SPEND and result.scope.feature == "support-bot"
    assert default_pool.jobs == 0, "triage used the event loop's default pool"


async def test_indexes_are_built_on_threads_of_their_own() -> None:
    indexes = NameIndexes()
    await indexes.index(frozenset({"support-bot"}))
    ours = [thread.name for thread in threading.enumerate()]
    assert any(name.startswith(f"{name_index.THREAD_PREFIX}_") for name in ours), ours
