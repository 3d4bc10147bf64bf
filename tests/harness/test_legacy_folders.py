"""Results made before artifacts had one name (sweep `x-figure3`, now `x-figure-3`) keep
working: analysis reads them in place, `harness run` moves them once and trains nothing."""

from __future__ import annotations

import json

from conftest import SMOKE_SWEEP

from analysis.load import load_runs
from harness.cli import main
from harness.sweep import expand, run_dir


def test_runs_under_an_old_sweep_name_are_read_then_moved(write_sweep, tmp_path, capsys):
    sweep = write_sweep({**SMOKE_SWEEP, "name": "smoke-figure-3"})
    results = tmp_path / "results"
    args = ["run", str(sweep), "--scale", "smoke", "--results", str(results),
            "--executor", "inline"]
    assert main(args) == 0
    (results / "smoke-figure-3").rename(results / "smoke-figure3")  # as an old session left it
    run = expand(sweep, "smoke")[0]
    done_before = (results / "smoke-figure3" / "smoke" / run.run_id / "DONE").read_text()

    assert [r["folder"].parent.parent.name for r in load_runs(sweep, "smoke", results)] == [
        "smoke-figure3"]
    assert "old folder name" in capsys.readouterr().err

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "moved 1 run folder(s)" in out and "0 run(s) executed" in out
    assert not (results / "smoke-figure3" / "smoke" / run.run_id).exists()
    assert (run_dir(results, run) / "DONE").read_text() == done_before  # not trained again
    assert json.loads(done_before)["steps"] == SMOKE_SWEEP["steps"]
