"""The analysis commands under `harness`: they read results, so they live in analysis/, which
harness never imports (data flows one way): each runs as a `python -m analysis` process."""

from __future__ import annotations

import sys

# `harness figure|report|list`: the analysis commands under the one CLI. They read results, so
# they live in analysis/, which harness never imports (data flows one way): run as a process.
ANALYSIS_COMMANDS = {"figure": [], "report": ["report"], "list": ["list"]}


def run_analysis(argv: list[str]) -> int:
    import subprocess

    command = [sys.executable, "-m", "analysis", *ANALYSIS_COMMANDS[argv[0]], *argv[1:]]
    return subprocess.run(command).returncode


def table_command(argv: list[str] | None) -> int:
    """`harness table`: reads results, so it lives in analysis/ (which harness never imports:
    data flows one way); harness only offers the command, with the flags parsed above."""
    import subprocess

    raw = sys.argv[1:] if argv is None else argv
    done = subprocess.run([sys.executable, "-m", "analysis", *raw], capture_output=True,
                          text=True)  # relayed, so callers capturing sys.stdout see it
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    return done.returncode
