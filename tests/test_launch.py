"""End to end: sweep -> runs -> Parquet -> figure; skip-done, --force, the local executor."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SMOKE_SWEEP, run_inline

from analysis.defazio2025 import figure_3 as defazio_figure_3
from analysis.defazio2025 import figure_4 as defazio_figure_4
from analysis.defazio2025 import figure_5 as defazio_figure_5
from harness.cli import main
from harness.metrics import LAYERS_SCHEMA, METRICS_SCHEMA
from harness.sweep import expand, run_dir


def _snapshot(folder):
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_smoke_sweep_end_to_end_then_skip_then_force(smoke_sweep, tmp_path):
    results = tmp_path / "results"
    args = ["run", str(smoke_sweep), "--scale", "smoke", "--results", str(results),
            "--executor", "inline"]
    assert main(args) == 0
    (run,) = expand(smoke_sweep, "smoke")
    folder = run_dir(results, run)
    assert sorted(p.name for p in folder.iterdir()) == [
        "DONE", "config.yaml", "layers.parquet", "metrics.parquet"]
    assert json.loads((folder / "DONE").read_text())["steps"] == 4

    # Readable with plain pyarrow, with the documented schema.
    assert pq.read_schema(folder / "metrics.parquet").equals(METRICS_SCHEMA)
    assert pq.read_schema(folder / "layers.parquet").equals(LAYERS_SCHEMA)
    metrics = pd.read_parquet(folder / "metrics.parquet")
    assert metrics["step"].tolist() == [0, 1, 2, 3]
    assert metrics["eval_accuracy"].notna().tolist() == [False, False, False, True]
    layers = pd.read_parquet(folder / "layers.parquet")
    assert layers["normalized"].any() and not layers["normalized"].all()
    assert (layers.groupby("step").size() == layers["layer"].nunique()).all()

    before = _snapshot(results)
    assert main(args) == 0  # finished sweep: nothing runs, no file changes
    assert _snapshot(results) == before

    assert main(args + ["--force"]) == 0
    after = _snapshot(results)
    assert after.keys() == before.keys()
    assert after[folder / "DONE"] != before[folder / "DONE"]


def test_incomplete_run_is_rerun(smoke_sweep, tmp_path):
    results = tmp_path / "results"
    (run,) = expand(smoke_sweep, "smoke")
    stale = run_dir(results, run)
    stale.mkdir(parents=True)
    (stale / "metrics.parquet").write_bytes(b"half a file")  # a crashed run, no DONE
    assert main(["run", str(smoke_sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0
    assert pd.read_parquet(stale / "metrics.parquet")["step"].max() == 3


def test_local_executor_runs_through_submitit(write_sweep, tmp_path):
    sweep = copy.deepcopy(SMOKE_SWEEP)
    sweep["grid"] = {"seed": [0, 1]}
    path = write_sweep(sweep)
    results = tmp_path / "results"
    assert main(["run", str(path), "--scale", "smoke", "--results", str(results)]) == 0
    runs = expand(path, "smoke")
    for run in runs:
        assert (run_dir(results, run) / "DONE").is_file()
        assert not (run_dir(results, run) / ".progress").exists()
    assert any((results / "smoke-test" / "smoke" / ".submitit").iterdir())
    # Different seeds, different numbers.
    losses = [pd.read_parquet(run_dir(results, r) / "metrics.parquet")["loss"].iloc[0]
              for r in runs]
    assert losses[0] != losses[1]


def _smoke_figure(tmp_path, number: int, draw) -> dict:
    """Run a shipped sweep at smoke scale, draw its figure; returns the claims report."""
    sweep = f"experiments/defazio2025/figure-{number}.yaml"
    results = tmp_path / "results"
    assert main(["run", sweep, "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0
    report = draw(sweep, "smoke", results, tmp_path / "figures")
    assert (tmp_path / "figures" / f"defazio2025-figure-{number}_smoke.png").stat().st_size > 10_000
    assert (tmp_path / "figures" / f"defazio2025-figure-{number}_smoke.pdf").is_file()
    return report


def test_smoke_results_draw_a_figure(tmp_path):
    report = _smoke_figure(tmp_path, 3, defazio_figure_3.draw)
    assert set(report["claims"]) - {"measured"} == {"burn_in", "tracking", "tail_blowup"}
    assert set(report["premises"]) == {"half_lives_before_window", "weight_norm_steady"}


def test_figure4_smoke_compares_adamw_and_adamc(tmp_path):
    report = _smoke_figure(tmp_path, 4, defazio_figure_4.draw)
    assert {"baseline_weight_norm_falls", "corrected_keeps_weight_norm"} <= set(report["claims"])
    assert set(report["claims"]["measured"]["final_train_loss"]) == {"adamw", "adamc"}


def test_figure5_smoke_averages_seeds_per_optimizer(tmp_path):
    report = _smoke_figure(tmp_path, 5, defazio_figure_5.draw)
    assert set(report["claims"]["measured"]["final_train_loss"]) == {"sgd", "sgdc"}
    from analysis.load import load_runs
    from analysis.seeds import best_per_optimizer

    best = best_per_optimizer(load_runs("experiments/defazio2025/figure-5.yaml", "smoke",
                                         tmp_path / "results"))
    assert {name: len(group) for name, group in best.items()} == {"sgd": 2, "sgdc": 2}


def test_corrupt_parquet_is_reported_left_out_and_trained_again(smoke_sweep, tmp_path,
                                                                 capsys):
    from analysis.load import ResultsError, load_runs

    results = tmp_path / "results"
    command, (run,) = run_inline(smoke_sweep, results)
    bad = run_dir(results, run) / "layers.parquet"
    good = bad.read_bytes()
    bad.write_bytes(good[:100])  # truncated, e.g. a copy cut short
    with pytest.raises(ResultsError, match="no complete runs"):  # left out, not a crash
        load_runs(smoke_sweep, "smoke", results)
    assert f"{bad}: unreadable Parquet" in capsys.readouterr().err
    from harness.launch import pending

    assert pending([run], results) == [run]  # pending again, and asking changed nothing:
    assert (run_dir(results, run) / "DONE").is_file()  # (dry runs call this too)
    assert main(command) == 0  # the damaged run is pending again and retrained
    out, err = capsys.readouterr()
    assert "1 run(s) executed" in out and f"{bad} is unreadable" in err
    assert len(load_runs(smoke_sweep, "smoke", results)) == 1


def test_cli_knows_the_launchers_executors():
    from harness import cli, launch

    assert cli.EXECUTORS == launch.EXECUTORS


def test_batches_that_cannot_split_over_the_gpus_are_refused_before_submission(smoke_sweep):
    from harness.launch import _check_split
    from harness.sweep import SweepError, expand

    runs = expand(smoke_sweep, "smoke")  # batch 32
    _check_split(runs, 4, 8)
    with pytest.raises(SweepError, match="batch_size 32 does not split over the profile's 3"):
        _check_split(runs, 3, None)
    with pytest.raises(SweepError, match="8 rows do not split into micro-batches of 3"):
        _check_split(runs, 4, 3)
    _check_split(runs, 4, 16)  # a micro-batch above the share is the share
