"""`harness query`: DuckDB views over fake results (conftest's fake runs, nothing trains) return
the runs' rows, and per-step aggregates equal pandas' over the same Parquet files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import CLAIMS_SWEEP, REPO

from harness.cli import main
from harness.index import INDEX, write_index
from harness.query import run_query
from harness.runfolder import METRICS, read_frame
from harness.sweep import expand, run_dir

LRS = [0.01, 0.02, 0.04]
SWEEP_A = {**CLAIMS_SWEEP, "name": "query-a", "grid": {"lr": LRS}}
SWEEP_B = {**CLAIMS_SWEEP, "name": "query-b", "optimizer": "adamw", "lr": 0.5}


def _how(cfg):
    """lr 0.04 never finishes; loss falls with the step at a rate set by lr."""
    return {"steps": range(0, 10, 2), "metrics": {"loss": lambda t: 3.0 - cfg.lr * t},
            "layers": {"h.0.w": {"weight_norm": lambda t: 1.0 + t}, "head.w": {}},
            "final": {"eval_accuracy": 0.5 + cfg.lr}, "done": cfg.lr != 0.04}


@pytest.fixture
def results(fake_sweep, tmp_path):
    """Two sweeps' fake runs and indexes; query-b's index is written as an older harness
    would have, without the `seed` column (DuckDB must union the two by name)."""
    path_a, results = fake_sweep(SWEEP_A, _how)
    write_index(expand(path_a, "smoke"), results)
    path_b, _ = fake_sweep(SWEEP_B, lambda cfg: {"steps": range(0, 6, 2)})
    index_b = write_index(expand(path_b, "smoke"), results)
    pd.read_parquet(index_b).drop(columns=["seed"]).to_parquet(index_b, index=False)
    return results


def _runs(results, sweep: dict) -> list:
    return [(run, run_dir(results, run)) for run in expand_dict(sweep)]


def expand_dict(sweep: dict) -> list:
    return expand({**sweep, "_path": "inline"}, "smoke")


def test_runs_view_unions_every_index_by_name(results):
    frame = run_query("SELECT run_id, sweep, lr, state, seed FROM runs "
                      "WHERE sweep = 'query-a' ORDER BY lr", results)
    runs = expand_dict(SWEEP_A)
    assert frame["run_id"].tolist() == [r.run_id for r in sorted(runs, key=lambda r: r.config.lr)]
    assert frame["lr"].tolist() == LRS
    assert frame["state"].tolist() == ["done", "done", "incomplete"]
    assert frame["seed"].tolist() == [0, 0, 0]
    other = run_query("SELECT sweep, optimizer, lr, seed FROM runs WHERE sweep = 'query-b'",
                      results)
    assert other[["sweep", "optimizer", "lr"]].values.tolist() == [["query-b", "adamw", 0.5]]
    assert other["seed"].isna().all()  # the column its index lacks is null, not an error


def test_metrics_view_names_each_row_s_run_and_aggregates_like_pandas(results):
    frame = run_query("SELECT run_id, sweep, scale, avg(loss) AS mean_loss, max(step) AS last, "
                      "count(*) AS n FROM metrics WHERE sweep = 'query-a' GROUP BY ALL "
                      "ORDER BY run_id", results).set_index("run_id")
    for run, folder in _runs(results, SWEEP_A):
        expected = read_frame(folder / METRICS)
        assert frame.loc[run.run_id, "mean_loss"] == pytest.approx(expected["loss"].mean())
        assert frame.loc[run.run_id, "last"] == expected["step"].max()
        assert frame.loc[run.run_id, "n"] == len(expected)
    assert set(frame["sweep"]) == {"query-a"} and set(frame["scale"]) == {"smoke"}
    # joined with the index: the incomplete run's rows are there too, state says so
    joined = run_query("SELECT r.lr, r.state, min(m.loss) AS best FROM metrics m JOIN runs r "
                       "USING (run_id, sweep, scale) GROUP BY ALL ORDER BY r.lr", results)
    assert joined["lr"].tolist() == [*LRS, 0.5]
    assert joined["best"].tolist() == pytest.approx([3.0 - lr * 8 for lr in LRS] + [2.0])


def test_layers_view(results):
    frame = run_query("SELECT layer, max(weight_norm) AS top, count(DISTINCT run_id) AS runs "
                      "FROM layers GROUP BY layer ORDER BY layer", results)
    assert frame.to_dict(orient="list") == {"layer": ["h.0.w", "head.w"], "top": [9.0, 1.0],
                                            "runs": [3, 3]}


def test_cli_prints_a_table_csv_and_json(results, capsys):
    sql = "SELECT run_id, lr FROM runs WHERE state = 'done' ORDER BY lr"
    done = sorted((r for r in expand_dict(SWEEP_A) if r.config.lr != 0.04),
                  key=lambda r: r.config.lr) + expand_dict(SWEEP_B)
    assert main(["query", sql, "--results", str(results)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run_id", "lr"]
    assert [line.split() for line in lines[1:]] == [[r.run_id, f"{r.config.lr:g}"] for r in done]
    assert main(["query", sql, "--results", str(results), "--format", "csv"]) == 0
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"run_id": str})
    assert csv["run_id"].tolist() == [r.run_id for r in done]
    assert main(["query", sql, "--results", str(results), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"run_id": r.run_id, "lr": r.config.lr}
                                                  for r in done]


def test_wdlab_results_is_the_default_folder(results, tmp_path):
    env = {**os.environ, "WDLAB_RESULTS": str(results), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "harness", "query",
                          "SELECT count(*) AS n FROM runs"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["n", "4"]


def test_errors_are_one_line_naming_the_results_folder(results, tmp_path, capsys,
                                                       monkeypatch):
    empty = tmp_path / "empty"
    assert main(["query", "SELECT 1", "--results", str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(empty) in err and INDEX in err
    assert main(["query", "SELECT * FROM no_such_view", "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(results) in err and "no_such_view" in err
    assert "views: layers, metrics, runs" in err  # no simulation here: no norms view
    assert main(["query", "SELEC lr FROM runs", "--results", str(results)]) == 2
    assert "syntax error" in capsys.readouterr().err.lower()
    monkeypatch.setitem(sys.modules, "duckdb", None)  # as if not installed
    assert main(["query", "SELECT 1", "--results", str(results)]) == 2
    assert "pip install 'wdlab[query]'" in capsys.readouterr().err
