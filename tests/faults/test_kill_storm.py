"""Fault injection: SIGKILL a sweep again and again at random moments until it completes; every
run must end with the Parquet an uninterrupted run writes (0 lost, 0 duplicated rows)."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import time

import pandas as pd
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.metrics import TIMING_COLUMNS
from harness.sweep import expand, run_dir

KILLS = 20


def _steps_done(results) -> int:
    """Steps reached so far over the sweep's runs (from their `.progress` files)."""
    total = 0
    for folder in results.glob("*/*/*/"):
        try:
            if (folder / "DONE").is_file():
                total += json.loads((folder / "DONE").read_text())["steps"]
            elif (folder / ".progress").is_file():
                total += json.loads((folder / ".progress").read_text())[0]
        except (OSError, ValueError):
            pass  # caught mid-write
    return total


def _frames(folder):
    return [pd.read_parquet(folder / f).drop(columns=TIMING_COLUMNS, errors="ignore")
            for f in ("metrics.parquet", "layers.parquet")]


def test_twenty_kills_lose_and_duplicate_nothing(write_sweep, tmp_path):
    config = copy.deepcopy(SMOKE_SWEEP)
    config.update(steps=200, momentum=0.9, schedule="cosine", augment="crop", label_noise=0.1,
                  grid={"seed": [0, 1, 2, 3]})
    sweep = write_sweep(config)
    command = ["run", str(sweep), "--scale", "smoke", "--executor", "inline",
               "--checkpoint-every", "7"]
    reference, results = tmp_path / "reference", tmp_path / "killed"
    assert main([*command, "--results", str(reference)]) == 0

    rng = random.Random(0)
    kills = 0
    while True:
        proc = subprocess.Popen([sys.executable, "-m", "harness", *command,
                                 "--results", str(results)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if kills < KILLS:
            # Kill once this process has trained a random 2–25 steps (of any run): at a
            # random point of the loop, between or inside checkpoints and Parquet flushes.
            start, target = _steps_done(results), rng.randint(2, 25)
            deadline = time.time() + 60
            while proc.poll() is None and time.time() < deadline and \
                    _steps_done(results) < start + target:
                time.sleep(0.01)
            if proc.poll() is None:
                proc.kill()
                kills += 1
        if proc.wait(timeout=600) == 0 and kills >= KILLS:
            break
        runs_done = sum((run_dir(results, r) / "DONE").is_file() for r in expand(sweep, "smoke"))
        assert kills >= KILLS or runs_done < 4, f"sweep finished after only {kills} kills"
    runs = expand(sweep, "smoke")
    assert all((run_dir(results, r) / "DONE").is_file() for r in runs)
    for run in runs:
        for got, want in zip(_frames(run_dir(results, run)), _frames(run_dir(reference, run))):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
