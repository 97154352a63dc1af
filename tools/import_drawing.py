"""The drawing of the service's imports, made from the code (grimp, as import-linter reads it).

A room is a child of `service` (a package such as `delivery/`, or a module such as `keys.py`).
The rooms' order is the `layers` contract of pyproject.toml (the one over `service.*`), so the
drawing and `make lint` agree. The drawing says, from every import statement (those inside
functions and under TYPE_CHECKING included):

- the circles among modules and among rooms (none is the aim),
- the imports running back up, from a lower room to a higher one (each one an `ignore_imports`
  line of the contract, with the reason written beside it),
- a mermaid graph of the rooms, top to bottom.

    python -m tools.import_drawing            # print it
    python -m tools.import_drawing --write    # put it into service/README.md
    python -m tools.import_drawing --check    # fail when service/README.md's copy is stale
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "service" / "README.md"
START = "<!-- import drawing: made by `python -m tools.import_drawing --write` -->"
END = "<!-- end of the import drawing -->"
PACKAGE = "service"

Edges = Mapping[str, set[str]]


def layers_contract(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, object]:
    config = tomllib.loads(pyproject.read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["type"] == "layers" and contract.get("containers") in (None, []):
            if all(layer.startswith(PACKAGE) for layer in contract["layers"]):
                return dict(contract)
    raise SystemExit("pyproject.toml has no layers contract over the service's rooms")


def room_order(contract: Mapping[str, object]) -> list[list[str]]:
    """The rooms of each layer, top first (`a | b` and `a : b` are rooms side by side)."""
    layers = contract["layers"]
    assert isinstance(layers, list)
    return [
        [name.strip().removeprefix(f"{PACKAGE}.") for name in layer.replace(":", "|").split("|")]
        for layer in layers
    ]


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else module


def module_imports() -> dict[str, set[str]]:
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    return {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.startswith(f"{PACKAGE}.")
        }
        for module in sorted(graph.modules)
        if module != PACKAGE
    }


def circles(edges: Edges) -> list[list[str]]:
    """The strongly connected parts of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def drawing() -> tuple[str, list[str]]:
    """The drawing, and what is wrong in it (circles, rooms in no layer)."""
    contract = layers_contract()
    order = room_order(contract)
    rank = {room: i for i, layer in enumerate(order) for room in layer}
    imports = module_imports()
    rooms: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    back_up: list[str] = []
    unplaced: set[str] = set()
    for module, imported in imports.items():
        for other in sorted(imported):
            a, b = room_of(module), room_of(other)
            if a == b:
                continue
            rooms[a][b] += 1
            unplaced.update(r for r in (a, b) if r not in rank)
            if a in rank and b in rank and rank[a] > rank[b]:
                back_up.append(f"{module} -> {other}")
    room_edges = {a: set(targets) for a, targets in rooms.items()}
    module_circles = circles(imports)
    room_circles = circles(room_edges)
    count = sum(sum(targets.values()) for targets in rooms.values())
    lines = [
        START,
        "Drawn from every import of `service/` (inside functions and under TYPE_CHECKING too), "
        "the rooms in the order of the `layers` contract in pyproject.toml, top first:",
        "",
        "```",
        *(f"{i + 1:2}. {'  '.join(layer)}" for i, layer in enumerate(order)),
        "```",
        "",
        f"- imports between rooms: {count}",
        f"- circles among modules: {_listed(' <-> '.join(c) for c in module_circles)}",
        f"- circles among rooms: {_listed(' <-> '.join(c) for c in room_circles)}",
        f"- imports running back up ({len(back_up)}): {_listed(back_up)}",
        f"- rooms in no layer: {_listed(sorted(unplaced))}",
        "",
        "```mermaid",
        "flowchart TD",
        *_mermaid(order, rooms),
        "```",
        END,
    ]
    wrong = [f"a circle: {' <-> '.join(c)}" for c in module_circles + room_circles]
    wrong += [f"{room} is in no layer of the contract" for room in sorted(unplaced)]
    return "\n".join(lines) + "\n", wrong


def _listed(items: Iterable[str]) -> str:
    listed = [f"`{item}`" for item in items]
    return ", ".join(listed) if listed else "none"


def _mermaid(order: list[list[str]], rooms: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The rooms as nodes, layer by layer; the bottom layer (what every room may use) is one
    node that no arrow points to, so the arrows that matter stay readable."""
    *upper, bottom = order
    shared = "shared"
    node = {room: room for layer in upper for room in layer} | {r: shared for r in bottom}
    lines = [f'    {shared}["used by every room: {" · ".join(bottom)}"]']
    for i, layer in enumerate(upper):
        lines.append(f'    subgraph L{i + 1}[" "]')
        lines.extend(f"        {_id(room)}[{room}]" for room in layer)
        lines.append("    end")
    arrows: dict[tuple[str, str], int] = defaultdict(int)
    for a, targets in rooms.items():
        for b, n in targets.items():
            if a in node and b in node and node[b] != shared and node[a] != node[b]:
                arrows[(node[a], node[b])] += n
    lines.extend(f"    {_id(a)} -->|{n}| {_id(b)}" for (a, b), n in sorted(arrows.items()))
    return lines


def _id(room: str) -> str:
    return room.strip("_") or room


def _replace(text: str, new: str) -> str:
    if START not in text:
        return text.rstrip("\n") + "\n\n" + new
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return head + new.rstrip("\n") + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--write", action="store_true", help="update service/README.md")
    what.add_argument("--check", action="store_true", help="fail if service/README.md is stale")
    args = parser.parse_args(argv)
    new, wrong = drawing()
    for problem in wrong:
        print(f"service/: {problem}", file=sys.stderr)
    if not (args.write or args.check):
        print(new, end="")
        return 0
    text = README.read_text()
    updated = _replace(text, new)
    if args.write:
        README.write_text(updated)
        return 0
    if updated != text:
        print(
            "service/README.md: the import drawing is stale (python -m tools.import_drawing "
            "--write)",
            file=sys.stderr,
        )
        return 1
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
