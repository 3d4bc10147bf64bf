"""Two `harness run` of one sweep into one results folder at once: each run is trained by
exactly one of them, and every run's files equal a single process's."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys

import pandas as pd
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.metrics import TIMING_COLUMNS
from harness.sweep import expand, run_dir


def test_two_launchers_share_the_work_without_training_a_run_twice(write_sweep, tmp_path):
    config = copy.deepcopy(SMOKE_SWEEP)
    config.update(steps=40, grid={"seed": [0, 1, 2, 3, 4, 5]})
    sweep = write_sweep(config)
    command = [sys.executable, "-m", "harness", "run", str(sweep), "--scale", "smoke",
               "--executor", "inline", "--results", str(tmp_path / "shared")]
    # faulthandler: a launcher killed by a signal (a crash at interpreter exit) says where
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), "\n\n".join(
        f"launcher {i}: exit {p.returncode}\nstdout:\n{out}\nstderr (end):\n{err[-4000:]}"
        for i, (p, (out, err)) in enumerate(zip(procs, outputs)))
    executed = [int(re.search(r"(\d+) run\(s\) executed", out).group(1)) for out, _ in outputs]
    runs = expand(sweep, "smoke")
    assert sum(executed) == len(runs), outputs  # none twice, none forgotten
    assert main(["run", str(sweep), "--scale", "smoke", "--executor", "inline",
                 "--results", str(tmp_path / "alone")]) == 0
    for run in runs:
        for name in ("metrics.parquet", "layers.parquet"):
            got, want = (pd.read_parquet(run_dir(tmp_path / r, run) / name)
                         .drop(columns=TIMING_COLUMNS, errors="ignore")
                         for r in ("shared", "alone"))
            pd.testing.assert_frame_equal(got, want, check_exact=True)
