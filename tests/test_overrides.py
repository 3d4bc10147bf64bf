"""`--set` / `--only`: an override is validated like the file, changes the runs' ids (and only
theirs), and a slice that matches nothing is an error naming the values there are."""

from __future__ import annotations

import re

import pytest
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.overrides import apply_overrides, parse_assignments, select
from harness.sweep import SweepError, expand, load_sweep

GRID = {**SMOKE_SWEEP, "grid": {"lr": [0.1, 0.2]}, "zip": {"optimizer": ["sgd", "sgdc"],
                                                          "momentum": [0.0, 0.9]}}


def _runs(path, *sets, only=()):
    sweep = apply_overrides(load_sweep(path), "smoke", parse_assignments(list(sets), "--set"))
    return select(expand(sweep, "smoke"), parse_assignments(list(only), "--only"), str(path))


def test_a_value_replaces_its_axis_and_ids_follow_the_config(write_sweep):
    path = write_sweep(GRID)
    plain = _runs(path)
    assert len(plain) == 4
    one_lr = _runs(path, "lr=0.2")
    assert [r.config.lr for r in one_lr] == [0.2, 0.2]
    # the lr 0.2 runs are the same runs as in the file: same ids, cached
    assert {r.run_id for r in one_lr} == {r.run_id for r in plain if r.config.lr == 0.2}
    changed = _runs(path, "weight_decay=0.05")
    assert not {r.run_id for r in changed} & {r.run_id for r in plain}


def test_grid_and_zip_axes(write_sweep):
    path = write_sweep(GRID)
    seeds = _runs(path, "grid.seed=[0, 1, 2]")
    assert len(seeds) == 12 and {r.config.seed for r in seeds} == {0, 1, 2}
    zipped = _runs(path, "zip.momentum=[0.5, 0.8]")
    assert sorted({(r.config.optimizer, r.config.momentum) for r in zipped}) == [
        ("sgd", 0.5), ("sgdc", 0.8)]


@pytest.mark.parametrize("item, message", [
    ("lrr=0.1", "--set lrr: unknown key (did you mean 'lr'?)"),
    ("lr=fast", "lr: got 'fast'"),
    ("grid.seed=3", "--set grid.seed: must be a non-empty list"),
    ("zip.momentum=[0.1]", "1 values for a zip of 2"),
    ("grid.optimizer=[sgd]", "optimizer is a zip axis"),
    ("nodot", "expected key=value"),
])
def test_bad_overrides_name_the_key(write_sweep, item, message):
    with pytest.raises(SweepError, match=re.escape(message)):
        _runs(write_sweep(GRID), item)


def test_only_selects_and_refuses_an_empty_slice(write_sweep):
    path = write_sweep(GRID)
    assert {r.config.optimizer for r in _runs(path, only=["optimizer=sgdc"])} == {"sgdc"}
    assert len(_runs(path, only=["optimizer=sgdc", "lr=0.1"])) == 1
    with pytest.raises(SweepError, match="matches no run; values in the sweep: lr: 0.1, 0.2"):
        _runs(path, only=["lr=0.3"])
    with pytest.raises(SweepError, match="--only lrr: unknown key"):
        _runs(path, only=["lrr=0.3"])


def test_run_trains_only_the_slice(write_sweep, tmp_path, capsys):
    path, results = write_sweep(GRID), tmp_path / "results"
    assert main(["run", str(path), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline", "--only", "lr=0.1", "--set", "steps=2"]) == 0
    assert "2 run(s) executed" in capsys.readouterr().out
    done = [p.name for p in (results / "smoke-test" / "smoke").iterdir() if p.is_dir()]
    expected = {r.run_id for r in _runs(path, "steps=2", only=["lr=0.1"])}
    assert set(done) >= expected and len(expected) == 2
    assert main(["plan", str(path), "--scale", "smoke", "--set", "lrr=1"]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_cli_declares_its_choices_and_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("harness ")
    with pytest.raises(SystemExit) as stop:
        main(["plan", "x.yaml", "--scale", "huge"])
    assert stop.value.code == 2
    said = capsys.readouterr().err
    assert "invalid choice: 'huge' (choose from 'paper', 'mini', 'smoke')" in said


def test_wdlab_results_is_honoured_by_analysis(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "WDLAB_RESULTS": str(tmp_path / "elsewhere")}
    out = subprocess.run([sys.executable, "-m", "analysis", "report", "--scale", "smoke"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert f"wrote {tmp_path / 'elsewhere' / 'report.md'}" in out
