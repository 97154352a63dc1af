"""One queue of features that several behave processes (tools/shards.py) take from in turn.

    python -m behave --runner tools.feature_queue:QueueRunner -D feature_queue=DIR [PATHS]

Each shard is given every selected feature file; DIR/order.txt lists them longest first. Before
it runs one, a shard claims it (a file created with O_EXCL in DIR: the first shard to get there
runs it, any other passes it by without a word: not run, not reported). So a shard that gets
through its features faster than guessed simply takes more, and the shards end within about
one short feature of each other whatever the machine's load did to the guesses. A shard that
never starts (its stack failed) leaves the whole queue to the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from behave.runner import Runner

ORDER_FILE = "order.txt"


def write_queue(folder: Path, paths: list[str]) -> None:
    """A fresh queue in `folder`: `paths` in the order they are to be taken."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.claimed"):
        stale.unlink()
    (folder / ORDER_FILE).write_text("".join(f"{p}\n" for p in paths), encoding="utf-8")


def claim(folder: Path, index: int, owner: str) -> bool:
    """True for the one caller that claims the `index`th feature first."""
    try:
        fd = os.open(folder / f"{index}.claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as claimed:
        claimed.write(owner)
    return True


def claimed_by(folder: Path) -> dict[str, str]:
    """Each claimed feature's path -> the shard that ran it."""
    order = (folder / ORDER_FILE).read_text(encoding="utf-8").splitlines()
    return {order[int(f.stem)]: f.read_text(encoding="utf-8") for f in folder.glob("*.claimed")}


def taken(folder: Path, features: Iterable[Any], owner: str) -> Iterator[Any]:
    """The features in the queue's order, each only once this process has claimed it (lazily:
    the next is claimed when the last has run)."""
    order = (folder / ORDER_FILE).read_text(encoding="utf-8").splitlines()
    rank = {Path(p).resolve(): i for i, p in enumerate(order)}
    for feature in sorted(features, key=lambda f: rank.get(Path(f.filename).resolve(), len(order))):
        index = rank.get(Path(feature.filename).resolve())
        if index is None:
            raise ValueError(f"{feature.filename} is not in the queue {folder / ORDER_FILE}")
        if claim(folder, index, owner):
            yield feature


class QueueRunner(Runner):  # type: ignore[misc]  # behave is untyped
    """behave's runner, running only the features this process claims from the queue."""

    def run_model(self, features: Iterable[Any] | None = None) -> Any:
        userdata = self.config.userdata
        folder = Path(userdata["feature_queue"])
        owner = userdata.get("shard", str(os.getpid()))
        mine = taken(folder, self.features if features is None else features, owner)
        return super().run_model(mine)
