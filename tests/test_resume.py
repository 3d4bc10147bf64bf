"""Exact resume: a run killed (SIGKILL) or preempted (SIGTERM) at a random step and run again
writes the same Parquet as a run that was never interrupted (wall-clock columns aside); also
when its Parquet was flushed for live readers past its last checkpoint."""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.metrics import TIMING_COLUMNS as TIMING  # wall-clock: differ between runs
from harness.sweep import expand, run_dir


def _sweep(write_sweep, **extra):
    config = copy.deepcopy(SMOKE_SWEEP)
    config.update(steps=300, momentum=0.9, schedule="cosine", augment="crop", label_noise=0.2,
                  dataset="synthetic", eval_every=100, **extra)
    return write_sweep(config)



def _command(sweep, results):
    return ["run", str(sweep), "--scale", "smoke", "--results", str(results),
            "--executor", "inline", "--checkpoint-every", "13"]


def _start_and_stop(sweep, results, sig, tmp_path, env=None):
    """Start a run in a subprocess, send `sig` once it passes a random step, wait for exit."""
    (run,) = expand(sweep, "smoke")
    progress = run_dir(results, run) / ".progress"
    target = random.randint(20, 250)
    proc = subprocess.Popen([sys.executable, "-m", "harness", *_command(sweep, results)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            if json.loads(progress.read_text())[0] >= target:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    assert proc.poll() is None, f"run ended before step {target}: {proc.communicate()}"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return run, proc.returncode, err, target


def _frames(folder):
    return [pd.read_parquet(folder / f).drop(columns=TIMING, errors="ignore")
            for f in ("metrics.parquet", "layers.parquet")]


@pytest.mark.parametrize("sig,mixup,live", [(signal.SIGKILL, 0.0, False),
                                            (signal.SIGKILL, 0.0, True),
                                            (signal.SIGTERM, 0.0, False),
                                            (signal.SIGTERM, 0.2, False)],
                         ids=["SIGKILL", "SIGKILL-live-flush", "SIGTERM", "SIGTERM-mixup"])
def test_interrupted_run_resumes_to_identical_parquet(write_sweep, tmp_path, sig, mixup, live):
    sweep = _sweep(write_sweep, mixup=mixup)  # Mixup draws from torch's global generator
    reference = tmp_path / "uninterrupted"
    assert main(_command(sweep, reference)) == 0

    results = tmp_path / "interrupted"
    # live: Parquet flushed at every logged step, so rows past the last checkpoint exist
    env = {"WDLAB_FLUSH_SECONDS": "1e-6"} if live else None
    run, code, err, target = _start_and_stop(sweep, results, sig, tmp_path, env)
    folder = run_dir(results, run)
    assert not (folder / "DONE").exists()
    assert (folder / "checkpoint.pt").is_file()
    if live:  # a reader sees the curve up to about where it was killed, not the checkpoint
        seen = pd.read_parquet(folder / "metrics.parquet")["step"].max()
        assert seen >= target - 2, (seen, target)  # every step is logged
    if sig == signal.SIGTERM:  # preemption: checkpoint at once, say so, exit 3
        assert code == 3 and "run the same command again to resume" in err, err
    assert main(_command(sweep, results)) == 0
    summary = json.loads((folder / "DONE").read_text())
    assert summary["resumed_from"] > 0, "restarted from scratch instead of resuming"
    if sig == signal.SIGTERM:
        assert summary["resumed_from"] >= target
    for got, want in zip(_frames(folder), _frames(run_dir(reference, run))):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert not (folder / "checkpoint.pt").exists()
