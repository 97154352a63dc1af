"""Where a py-spy profile's time goes: the functions holding the most samples, of the service's
own code and overall, from collapsed stacks (`py-spy record --format raw`, as
`bench/answer_latency.py --profile` writes them).

    python bench/profile_summary.py reports/profile/crowd-1000-1234.txt [--top 25]

`self` counts samples where the function itself was running; `total` where it was anywhere on
the stack. An idle event loop shows as `select`/`epoll` (waiting, not working).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# "name (path/to/file.py:123)": the function and its file, without the line.
FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def frame_of(text: str) -> str:
    match = FRAME.match(text.strip())
    if match is None:
        return text.strip()
    file = match["file"]
    for marker in ("site-packages/", "/service/", "/lib/python3"):
        if marker in file:
            file = file[file.index(marker) + len(marker) :]
            break
    return f"{match['name']} ({file})"


def summarise(path: Path, top: int) -> str:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [frame_of(f) for f in stack.split(";") if f]
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return f"{path}: no samples"
    lines = [f"{path}: {samples} samples"]
    for title, counter in (("self", own), ("total", total)):
        lines.append(f"-- {title}")
        for frame, count in counter.most_common(top):
            lines.append(f"{100 * count / samples:6.1f}%  {frame}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in args.profiles:
        print(summarise(path, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
