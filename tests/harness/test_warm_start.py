"""init_from: a run that starts from its parent's final state continues it exactly (weights,
optimizer moments, data position), parents are listed and trained first, bad input is named."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from harness.cli import main
from harness.launch import launch
from harness.run import train
from harness.sweep import SweepError, expand, run_dir
from harness.warm_start import FINAL_STATE, parent_config

# A byte-level GPT under MuonMD: Muon + AdamW as one optimizer, MD's gains: every kind of
# state a parent hands over. Constant lr, no warmup: the schedule cannot tell a child from
# the second half of one longer run.
GPT = {"name": "warm", "paper": "kosson2026", "figure": "10", "model": "gpt", "depth": 1,
       "width": 32, "dataset": "stdlib_bytes", "seq_len": 16, "batch_size": 4,
       "optimizer": "muonmd", "lr": 0.02, "adam_lr": 0.004, "momentum": 0.95,
       "schedule": "constant", "warmup_steps": 0, "steps": 12, "scales": {"smoke": {}}}


def _losses(folder) -> list[float]:
    return pd.read_parquet(folder / "metrics.parquet")["loss"].tolist()


def test_a_child_continues_its_parent_exactly(write_sweep, tmp_path):
    """Parent (12 steps) + child (8 more) = one 20-step run: same losses step by step, same
    final weights. Fails if weights, moments or the data position were not carried over."""
    whole = expand(write_sweep({**GPT, "steps": 20}, "whole.yaml"), "smoke")[0]
    parent, child = expand(write_sweep({**GPT, "steps": 8, "init_from": {"steps": 12}},
                                       "split.yaml"), "smoke")
    assert parent.keep_final and not child.keep_final
    assert parent.config == parent_config(child.config)
    results = tmp_path / "results"
    launch([child], results, {}, "inline")  # the child alone brings its parent
    trained = train(whole.config, run_dir(results, whole), progress=False)
    p, c = run_dir(results, parent), run_dir(results, child)
    assert (p / FINAL_STATE).is_file() and not (c / FINAL_STATE).exists()
    assert not (run_dir(results, whole) / FINAL_STATE).exists()  # no parent: nothing kept
    straight = _losses(run_dir(results, whole))
    assert _losses(p) + _losses(c) == pytest.approx(straight, rel=1e-5)
    done = json.loads((c / "DONE").read_text())
    assert done["param_checksum"] == pytest.approx(trained["param_checksum"], rel=1e-6)


def test_a_fresh_stream_when_the_batches_differ(write_sweep, tmp_path):
    """A child with another seed reads its own batches: its first loss is not the straight
    run's next one, but it starts from the parent's weights (far below a fresh model's)."""
    sweep = write_sweep({**GPT, "steps": 4, "seed": 1, "init_from": {"steps": 12, "seed": 0}})
    parent, child = expand(sweep, "smoke")
    results = tmp_path / "results"
    assert main(["run", str(sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0
    fresh = train(child.config.model_copy(update={"init_from": None}), tmp_path / "fresh",
                  progress=False)
    assert _losses(run_dir(results, child))[0] < _losses(tmp_path / "fresh")[0] - 0.5
    assert fresh["final_loss"] > 0


def test_a_parent_finished_without_its_state_is_trained_again(write_sweep, tmp_path):
    """A parent trained first as an ordinary run (say for another sweep) kept no final
    state: launching its child trains it again, keeping it."""
    results = tmp_path / "results"
    (ordinary,) = expand(write_sweep(GPT, "plain.yaml"), "smoke")
    parent, child = expand(write_sweep({**GPT, "steps": 4, "init_from": {"steps": 12}}),
                           "smoke")
    folder = run_dir(results, parent)
    train(ordinary.config, folder, progress=False)  # the same config, the same folder
    assert parent.run_id == ordinary.run_id and not (folder / FINAL_STATE).exists()
    launch([parent, child], results, {}, "inline")
    assert (folder / FINAL_STATE).is_file() and (run_dir(results, child) / "DONE").is_file()


def test_a_child_without_its_parent_says_so(write_sweep, tmp_path):
    _, child = expand(write_sweep({**GPT, "init_from": {"steps": 12}}), "smoke")
    with pytest.raises(FileNotFoundError, match="init_from needs parent run"):
        train(child.config, tmp_path / "child", progress=False)


@pytest.mark.parametrize("init_from, says", [
    ({"stepz": 3}, "allowed: the run keys but init_from"),
    ({}, "at least one"),
    ({"init_from": {"steps": 3}}, "allowed: the run keys but init_from"),
    ({"optimizer": "adamz"}, "init_from.optimizer: the parent run is invalid"),
])
def test_bad_init_from_is_named(write_sweep, init_from, says):
    sweep = write_sweep(yaml.safe_dump({**GPT, "init_from": init_from}))
    with pytest.raises(SweepError, match=says) as error:
        expand(sweep, "smoke")
    assert str(sweep) in str(error.value)


def test_runs_without_init_from_keep_their_ids(write_sweep):
    (run,) = expand(write_sweep(GPT), "smoke")
    assert not run.keep_final and "init_from" not in run.config.model_dump(exclude_defaults=True)
