"""runs.parquet: one row per run with every config key, state and final numbers, kept up to
date by `harness run`; a slice updates its own rows and keeps the others."""

from __future__ import annotations

import json

import pandas as pd
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.index import INDEX, write_index
from harness.runfolder import DONE
from harness.sweep import expand, run_dir


def _run(path, results, *extra):
    assert main(["run", str(path), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline", *extra]) == 0


def test_index_holds_config_state_and_final_numbers(write_sweep, tmp_path):
    path = write_sweep({**SMOKE_SWEEP, "grid": {"lr": [0.1, 0.2]}})
    results = tmp_path / "results"
    _run(path, results, "--only", "lr=0.1")
    index = pd.read_parquet(results / "smoke-test" / "smoke" / INDEX)
    assert sorted(index["lr"]) == [0.1]  # the slice: only its row so far
    _run(path, results)
    index = pd.read_parquet(results / "smoke-test" / "smoke" / INDEX).set_index("run_id")
    runs = expand(path, "smoke")
    assert set(index.index) == {r.run_id for r in runs} and len(index) == 2
    for run in runs:
        done = json.loads((run_dir(results, run) / DONE).read_text())
        row = index.loc[run.run_id]
        assert row["state"] == "done" and row["lr"] == run.config.lr
        assert row["optimizer"] == "sgd" and row["weight_decay"] == 0.01
        assert row["final_loss"] == done["final_loss"] and row["steps_done"] == done["steps"]
        assert row["code"] == "current"


def test_rows_of_other_runs_are_kept_and_todo_is_said(write_sweep, tmp_path):
    path = write_sweep({**SMOKE_SWEEP, "grid": {"lr": [0.1, 0.2, 0.4]}})
    results = tmp_path / "results"
    runs = expand(path, "smoke")
    write_index(runs, results)
    first = pd.read_parquet(results / "smoke-test" / "smoke" / INDEX)
    assert list(first["state"]) == ["todo"] * 3
    (run_dir(results, runs[0])).mkdir(parents=True)
    write_index(runs[:1], results)  # one run's row updated, the others kept
    index = pd.read_parquet(results / "smoke-test" / "smoke" / INDEX).set_index("run_id")
    assert len(index) == 3 and index.loc[runs[0].run_id, "state"] == "incomplete"
    assert index.loc[runs[2].run_id, "state"] == "todo"


def test_status_watch_redraws_until_nothing_moves(write_sweep, tmp_path, capsys):
    """A run training in another process (its progress file, no DONE) keeps the watch going;
    once it is done, the watch stops, having said the counts."""
    from harness.status import watch

    path = write_sweep({**SMOKE_SWEEP, "grid": {"lr": [0.1, 0.2]}})
    results = tmp_path / "results"
    runs = expand(path, "smoke")
    _run(path, results, "--only", "lr=0.1")
    pending = run_dir(results, runs[1])
    pending.mkdir(parents=True)
    (pending / ".progress").write_text("[2, 4]")
    ticks, shown = iter(range(0, 1000, 60)), []

    def sleep(_):  # the 'job' finishes while the watch waits
        (pending / ".progress").unlink()
        _run(path, results, "--only", "lr=0.2")

    rows = watch(runs, results, 30, shown.append, clock=lambda: next(ticks), sleep=sleep)
    assert len(shown) == 2 and [r["state"] for r in rows] == ["done", "done"]
    said = capsys.readouterr().out
    assert "1 done, 1 running — ETA ?" in said and "2 done — nothing queued or training" in said
