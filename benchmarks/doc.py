"""docs/benchmarks.md is assembled from sections, one per benchmark script, so each script
rewrites only its own table (with the machine and date it was measured on)."""

from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path

import torch

DOC = Path("docs/benchmarks.md")
HEADER = ("# Benchmarks\n\nRatios measured side by side in one process (absolute times depend "
          "on the machine; ratios are what the goals bound). Regenerate with `make bench`.\n")


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{torch.get_num_threads()} torch threads, torch {torch.__version__}, "
            f"{datetime.date.today().isoformat()}")


def write_section(name: str, lines: list[str], path: Path = DOC) -> None:
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text() if path.exists() else HEADER
    block = "\n".join([begin, *lines, end])
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else \
        text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote section {name} of {path}")
