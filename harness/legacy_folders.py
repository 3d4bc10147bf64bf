"""Run folders kept under a sweep's old name: before artifacts had one name, sweeps were
`<paper>-figure3`; now `<paper>-figure-3` (run ids did not change). Readers find such runs in
place; `harness run` moves them into today's folder once."""

from __future__ import annotations

import re
from pathlib import Path

from .runfolder import is_complete
from .sweep import Run, run_dir


def legacy_run_dir(results: str | Path, run: Run) -> Path | None:
    """Where the run lived before artifacts had one name (sweeps were `<paper>-figure3`, now
    `<paper>-figure-3`; run ids did not change), if it is still there; else None."""
    old = re.sub(r"-(figure|table)-(\d+)$", r"-\1\2", run.sweep)
    folder = Path(results) / old / run.scale / run.run_id
    return folder if old != run.sweep and folder.is_dir() else None


def stored_run_dir(results: str | Path, run: Run) -> Path:
    """The folder that holds the run for readers: today's, unless only the folder under the
    sweep's old name has it (read in place until `harness run` moves it)."""
    folder = run_dir(results, run)
    if is_complete(folder):
        return folder
    return legacy_run_dir(results, run) or folder


def adopt_legacy_folders(results: str | Path, runs: list[Run]) -> int:
    """Move runs stored under their sweep's old name into today's folder, once, saying so.
    Returns how many moved."""
    moved, old_sweep = 0, None
    for run in runs:
        old, new = legacy_run_dir(results, run), run_dir(results, run)
        if old is not None and not new.exists():
            new.parent.mkdir(parents=True, exist_ok=True)
            old.rename(new)
            moved, old_sweep = moved + 1, old.parent.parent.name
    if moved:
        print(f"moved {moved} run folder(s) from {Path(results) / old_sweep}/ to "
              f"{Path(results) / runs[0].sweep}/ (the artifact was renamed; run ids unchanged)")
    return moved
