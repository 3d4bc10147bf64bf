"""Sweeps on a real SLURM (slurm/local/up.sh; .ci/run starts it and sets SLURM_CONF):
arrays, skip-done, status, failures, requeue with exact resume, bad profiles."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import time

import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO, SMOKE_SWEEP

from harness.cli import main
from harness.metrics import TIMING_COLUMNS
from harness.sweep import expand, run_dir

PROFILE = str(REPO / "slurm" / "profiles" / "local.yaml")


def _cluster_up() -> bool:
    if not os.environ.get("SLURM_CONF"):
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.fixture(autouse=True)
def cluster():
    if not _cluster_up():
        if os.environ.get("WDLAB_REQUIRE_SLURM"):
            pytest.fail("WDLAB_REQUIRE_SLURM is set but no SLURM answers (slurm/local/up.sh)")
        pytest.skip("no SLURM cluster: run slurm/local/up.sh and export SLURM_CONF")


def _slurm(sweep, results, *extra):
    return main(["run", str(sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "slurm", "--cluster", PROFILE, *extra])


def _wait_for(predicate, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_array_lands_every_run_and_resubmitting_submits_nothing(write_sweep, tmp_path, capsys):
    sweep = write_sweep({**SMOKE_SWEEP, "grid": {"seed": [0, 1, 2]}})
    results = tmp_path / "results"
    assert _slurm(sweep, results) == 0
    assert "as SLURM array" in capsys.readouterr().out
    runs = expand(sweep, "smoke")
    first = {r.run_id: (run_dir(results, r) / "job.json").read_text() for r in runs}
    assert _slurm(sweep, results, "--wait") == 0  # queued: nothing new, wait for them
    assert "as SLURM array" not in capsys.readouterr().out
    assert first == {r.run_id: (run_dir(results, r) / "job.json").read_text() for r in runs}
    for run in runs:
        assert pd.read_parquet(run_dir(results, run) / "metrics.parquet")["step"].max() == 3
    records = {r.run_id: (run_dir(results, r) / "job.json").read_text() for r in runs}
    assert len({json.loads(t)["job_id"].split("_")[0] for t in records.values()}) == 1

    assert _slurm(sweep, results, "--wait") == 0  # everything complete: nothing submitted
    assert "0 run(s)" in capsys.readouterr().out
    assert records == {r.run_id: (run_dir(results, r) / "job.json").read_text() for r in runs}
    assert main(["status", str(sweep), "--scale", "smoke", "--results", str(results)]) == 0
    table = capsys.readouterr().out
    assert table.count(" done ") == 3


def test_a_failing_job_is_reported_with_its_error(write_sweep, tmp_path, capsys):
    data = tmp_path / "data" / "cifar10" / "cifar-10-batches-py"
    data.mkdir(parents=True)  # present at submission, unreadable in the job
    sweep = write_sweep({**SMOKE_SWEEP, "dataset": "cifar10"})
    results = tmp_path / "results"
    assert _slurm(sweep, results, "--wait", "--data-root", str(tmp_path / "data")) == 1
    assert "did not complete" in capsys.readouterr().err
    assert main(["status", str(sweep), "--scale", "smoke", "--results", str(results)]) == 1
    table = capsys.readouterr().out
    assert " failed " in table and "data_batch_1" in table


@pytest.mark.parametrize("how", ["scontrol-requeue", "time-limit-signal"])
def test_requeued_job_resumes_from_its_checkpoint_exactly(write_sweep, tmp_path, how):
    """SLURM requeues (SIGTERM to the job), or warns of its time limit (USR2: the job
    checkpoints and requeues itself); either way the run resumes exactly."""
    config = copy.deepcopy(SMOKE_SWEEP)
    config.update(steps=400, momentum=0.9, schedule="cosine", augment="crop", label_noise=0.2)
    sweep = write_sweep(config)
    reference = tmp_path / "reference"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the job's one CPU (cpus_per_task): the same float sums
    try:
        assert main(["run", str(sweep), "--scale", "smoke", "--results", str(reference),
                     "--executor", "inline"]) == 0
    finally:
        torch.set_num_threads(threads)

    results = tmp_path / "results"
    assert _slurm(sweep, results, "--checkpoint-every", "17") == 0
    (run,) = expand(sweep, "smoke")
    folder = run_dir(results, run)

    def past(step):
        try:
            return json.loads((folder / ".progress").read_text())[0] >= step
        except (OSError, ValueError):
            return False

    assert _wait_for(lambda: past(60)), "the job never got going"
    job = json.loads((folder / "job.json").read_text())["job_id"]
    if how == "scontrol-requeue":
        subprocess.run(["scontrol", "requeue", job], check=True)
    else:
        subprocess.run(["scancel", "--signal=USR2", job], check=True)
    # SLURM holds a requeued job back ~2 min (BeginTime); release it once it is pending.
    def pending():
        state = subprocess.run(["squeue", "-h", "-j", job, "-o", "%T"], capture_output=True,
                               text=True).stdout.strip()
        return state == "PENDING"

    assert _wait_for(pending, timeout=60)
    subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], check=True)
    assert _wait_for(lambda: (folder / "DONE").is_file(), timeout=180), "never finished"
    summary = json.loads((folder / "DONE").read_text())
    assert summary["resumed_from"] >= 60
    for name in ("metrics.parquet", "layers.parquet"):
        got = pd.read_parquet(folder / name).drop(columns=TIMING_COLUMNS, errors="ignore")
        want = pd.read_parquet(run_dir(reference, run) / name).drop(
            columns=TIMING_COLUMNS, errors="ignore")
        pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("change,words", [
    ({"partition": "nowhere"}, ["partition", "nowhere", "debug"]),
    ({"gpus_per_node": "two"}, ["gpus_per_node", "'two'"]),
    ({"partiton": "debug"}, ["partiton", "did you mean 'partition'"]),
])
def test_bad_profile_is_refused_before_submission(smoke_sweep, tmp_path, capsys, change,
                                                  words):
    profile = yaml.safe_load(open(PROFILE))
    if "partiton" in change:
        profile.pop("partition")
    profile.update(change)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(profile))
    results = tmp_path / "results"
    assert main(["run", str(smoke_sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "slurm", "--cluster", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and all(w in err for w in words), err
    assert not results.exists()


def test_cancel_stops_a_running_sweep(write_sweep, tmp_path, capsys):
    sweep = write_sweep({**SMOKE_SWEEP, "steps": 100_000})
    results = tmp_path / "results"
    assert _slurm(sweep, results) == 0
    (run,) = expand(sweep, "smoke")
    folder = run_dir(results, run)
    assert _wait_for(lambda: (folder / ".progress").is_file()), "the job never started"
    assert main(["cancel", str(sweep), "--scale", "smoke", "--results", str(results)]) == 0
    job = json.loads((folder / "job.json").read_text())["job_id"]
    assert job in capsys.readouterr().out

    def cancelled():
        main(["status", str(sweep), "--scale", "smoke", "--results", str(results)])
        return " cancelled " in capsys.readouterr().out

    assert _wait_for(cancelled, timeout=60)
    assert not (folder / "DONE").exists()


def _ddp_sweep(write_sweep, tmp_path, **extra):
    """(sweep, reference results trained in one process, a profile of 2 fake GPUs: 2 tasks
    joined by DDP on gloo) for test_ddp's GPT."""
    from test_ddp import CFG

    sweep = write_sweep({"name": "ddp", **CFG, **extra, "scales": {"smoke": {}}})
    reference = tmp_path / "reference"
    assert main(["run", str(sweep), "--scale", "smoke", "--results", str(reference),
                 "--executor", "inline"]) == 0
    two = tmp_path / "two-gpus.yaml"
    two.write_text(yaml.safe_dump({**yaml.safe_load(open(PROFILE)), "gpus_per_node": 2}))
    return sweep, reference, two


def test_multi_gpu_profile_runs_ddp_with_one_task_per_gpu(write_sweep, tmp_path):
    """gpus_per_node: 2 on the test cluster's fake GPUs -> 2 tasks -> DDP on gloo, equal to
    one process with the same global batch."""
    sweep, reference, two = _ddp_sweep(write_sweep, tmp_path)
    results = tmp_path / "results"
    assert main(["run", str(sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "slurm", "--cluster", str(two), "--wait"]) == 0
    (run,) = expand(sweep, "smoke")
    assert json.loads((run_dir(results, run) / "DONE").read_text())["world_size"] == 2
    got = pd.read_parquet(run_dir(results, run) / "metrics.parquet")["loss"]
    want = pd.read_parquet(run_dir(reference, run) / "metrics.parquet")["loss"]
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-5)


def test_a_child_waits_for_its_parent_then_continues_it_under_ddp(write_sweep, tmp_path,
                                                                  capsys):
    """init_from on SLURM: without --wait the parent is submitted and its child held back
    (said: SLURM would run them side by side); with --wait the child follows once the parent
    has kept its final state, and 2 DDP ranks continue it as one process does."""
    from harness.launch import _queued
    from harness.warm_start import FINAL_STATE

    sweep, reference, two = _ddp_sweep(write_sweep, tmp_path, init_from={"steps": 8})
    results = tmp_path / "results"
    command = ["run", str(sweep), "--scale", "smoke", "--results", str(results),
               "--executor", "slurm", "--cluster", str(two)]
    assert main(command) == 0
    parent, child = expand(sweep, "smoke")
    assert (run_dir(results, parent) / "job.json").is_file()
    assert not (run_dir(results, child) / "job.json").exists()
    assert "start from a parent run still training" in capsys.readouterr().err
    assert main([*command, "--wait"]) == 0
    assert (run_dir(results, parent) / FINAL_STATE).is_file()
    done = json.loads((run_dir(results, child) / "DONE").read_text())
    assert done["world_size"] == 2
    got = pd.read_parquet(run_dir(results, child) / "metrics.parquet")["loss"]
    want = pd.read_parquet(run_dir(reference, child) / "metrics.parquet")["loss"]
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-5)
    # --force trains both again, the parent first: the child must not start from a parent
    # folder being cleared for its own retraining
    first = (run_dir(results, child) / "job.json").read_text()
    folders = [run_dir(results, r) for r in (parent, child)]
    assert _wait_for(lambda: not _queued(folders))  # SLURM's accounting has seen them end
    assert main([*command, "--wait", "--force"]) == 0
    assert (run_dir(results, child) / "job.json").read_text() != first
    again = pd.read_parquet(run_dir(results, child) / "metrics.parquet")["loss"]
    assert again.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-5)
