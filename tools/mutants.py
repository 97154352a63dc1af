"""Seeded defects: prove the suite fails when the product breaks (`make mutants`).

Each `tests/mutants/NN-name.patch` is one small, realistic defect in service/ (its first lines
say what it breaks and which feature files should catch it). For each, this copies the working
tree's tracked files to a scratch directory, applies the patch there (the checkout is never
touched), runs behave on those features and reports the scenarios that failed, with the first
failure message. A defect no scenario caught is a hole in the suite: the exit code says so.

    python -m tools.mutants                   # every patch, on its own features
    python -m tools.mutants 04 07             # patches whose name starts with 04 or 07
    python -m tools.mutants --tags @critical  # only the @critical scenarios of those features
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Run from the checkout (as make does): the tree that is copied and seeded.
ROOT = Path.cwd()
MUTANTS = ROOT / "tests" / "mutants"
_FAILING = re.compile(r"^\s+(features/\S+:\d+)\s+(.*)$")
_ASSERTION = re.compile(
    r"^(?:ASSERT FAILED|Assertion Failed|HOOK-ERROR in \w+|[\w.]*(?:Error|Exception)): (.*)$"
)


@dataclass(frozen=True)
class Mutant:
    path: Path
    defect: str
    features: list[str]

    @classmethod
    def read(cls, path: Path) -> Mutant:
        head = dict(
            line.split(": ", 1) for line in path.read_text().splitlines()[:2] if ": " in line
        )
        return cls(path, head.get("Defect", path.stem), head.get("Features", "").split())


@dataclass(frozen=True)
class Verdict:
    mutant: Mutant
    caught_by: list[str]
    message: str


def scratch_copy(into: Path) -> None:
    """The tracked files as they are in the working tree, plus the shared installs."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = into / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for shared in (".venv", "node_modules"):
        if (ROOT / shared).exists():
            (into / shared).symlink_to((ROOT / shared).resolve())


def run(mutant: Mutant, tags: str | None) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        scratch = Path(tmp)
        scratch_copy(scratch)
        applied = subprocess.run(
            ["git", "apply", str(mutant.path)], cwd=scratch, capture_output=True, text=True
        )
        if applied.returncode != 0:  # service/ changed under it: the defect must be rewritten
            return Verdict(mutant, [], f"STALE: {applied.stderr.strip().splitlines()[0]}")
        command = [sys.executable, "-m", "behave", "-f", "plain", "--no-capture-stderr"]
        command += [f"--tags={tags}"] if tags else []
        result = subprocess.run(
            command + mutant.features, cwd=scratch, capture_output=True, text=True
        )
    lines = result.stdout.splitlines()
    caught: list[str] = []
    for heading in ("Failing scenarios:", "Errored scenarios:"):  # errored: a hook's check
        if heading in lines:
            for line in lines[lines.index(heading) + 1 :]:
                if not (found := _FAILING.match(line)):
                    break
                caught.append(f"{found.group(1)} {found.group(2)}")
    message = ""
    for number, line in enumerate(lines):
        if found := _ASSERTION.match(line.strip()):
            detail = lines[number + 1].strip() if number + 1 < len(lines) else ""
            message = found.group(1) + (f" {detail}" if detail.startswith("- ") else "")
            break
    if not caught and result.returncode != 0:  # behave itself could not run: not a verdict
        tail = " / ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
        return Verdict(mutant, [], f"BROKEN: {tail}")
    return Verdict(mutant, sorted(set(caught)), message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="patch name prefixes (default: all)")
    parser.add_argument("--tags", help="a behave tag expression, e.g. @critical")
    args = parser.parse_args()
    patches = sorted(MUTANTS.glob("*.patch"))
    if args.only:
        patches = [p for p in patches if p.name.startswith(tuple(args.only))]
    survived = 0
    for patch in patches:
        verdict = run(Mutant.read(patch), args.tags)
        if verdict.message.startswith(("STALE", "BROKEN")):
            survived += 1
            print(f"{verdict.message[:6]:<8} {patch.stem}: {verdict.message}")
        elif verdict.caught_by:
            print(f"CAUGHT   {patch.stem}: {verdict.mutant.defect}")
            for scenario in verdict.caught_by[:3]:
                print(f"           by {scenario}")
            print(f"           saying: {verdict.message[:160]}")
        else:
            survived += 1
            print(f"SURVIVED {patch.stem}: {verdict.mutant.defect}")
        sys.stdout.flush()
    print(f"mutants: {len(patches) - survived} caught, {survived} not, of {len(patches)}")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
