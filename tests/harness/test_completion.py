"""Shell completion of `harness` through argcomplete's protocol, as bash's completion function
calls it: the command line in COMP_LINE / COMP_POINT, _ARGCOMPLETE=1, the answer written to
_ARGCOMPLETE_STDOUT_FILENAME separated by vertical tabs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO


def complete(line: str, tmp_path) -> list[str]:
    answer = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(answer), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "harness"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in answer.read_text().split("\v")]


def test_subcommands_complete(tmp_path):
    assert {"reproduce", "report"} <= set(complete("harness re", tmp_path))
    assert {"run", "status", "query", "export", "reproduce"} <= set(complete("harness ",
                                                                             tmp_path))


@pytest.mark.parametrize("command", ["run", "export", "reproduce", "data check"])
def test_sweep_files_complete(tmp_path, command):
    words = complete(f"harness {command} experiments/defazio2025/fig", tmp_path)
    assert "experiments/defazio2025/figure-3.yaml" in words
    assert all(w.startswith("experiments/defazio2025/fig") for w in words)


def test_artifact_names_and_choices_complete(tmp_path):
    assert "defazio2025-figure-3" in complete("harness figure defazio2025-fi", tmp_path)
    assert set(complete("harness query 'SELECT 1' --format ", tmp_path)) == {"text", "csv",
                                                                              "json"}


def test_without_argcomplete_completion_answers_nothing(tmp_path):
    """argcomplete is optional: a completion request then exits quietly, writing nothing."""
    answer = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": "harness ", "COMP_POINT": "8",
           "_ARGCOMPLETE_STDOUT_FILENAME": str(answer), "PYTHONPATH": str(REPO)}
    code = "import sys; sys.modules['argcomplete'] = None; from harness.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr, answer.exists()) == (1, "", "", False)


def test_the_marker_argcomplete_looks_for():
    for module in ("cli.py", "__main__.py"):
        assert "PYTHON_ARGCOMPLETE_OK" in (REPO / "harness" / module).read_text()[:1024]
