"""Damaged files: a Parquet write killed half-way never leaves a partial file behind; a corrupt
checkpoint is set aside and the run starts over; a full disk gives a clear error and leaves
earlier results intact."""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.metrics import TIMING_COLUMNS
from harness.sweep import expand, run_dir

WRITER = textwrap.dedent("""
    import sys
    from harness.metrics import METRICS_SCHEMA, atomic_write_parquet
    n = 0
    while True:  # ever longer files, each a complete version: rows 0..n-1
        n += 5000
        rows = [{"step": i, "lr": 0.1, "loss": float(i)} for i in range(n)]
        atomic_write_parquet(rows, METRICS_SCHEMA, sys.argv[1])
        print(n, flush=True)
""")


def test_kill_during_parquet_writes_leaves_a_complete_file(tmp_path):
    path = tmp_path / "metrics.parquet"
    for kill_after in (1, 2, 3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        for _ in range(kill_after):
            proc.stdout.readline()
        proc.kill()  # somewhere inside the next write
        proc.wait()
        table = pq.read_table(path)  # never partial: one of the complete versions
        assert table.column("step").to_pylist() == list(range(table.num_rows))
        assert table.num_rows % 5000 == 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "metrics.parquet"]
    assert all(name.endswith(".tmp") for name in leftovers)  # never read as results


def _sweep(write_sweep, steps):
    config = copy.deepcopy(SMOKE_SWEEP)
    config.update(steps=steps, name=f"faults-{steps}")
    return write_sweep(config, f"faults-{steps}.yaml")


def _frames(folder):
    return [pd.read_parquet(folder / f).drop(columns=TIMING_COLUMNS, errors="ignore")
            for f in ("metrics.parquet", "layers.parquet")]


def test_corrupt_checkpoint_is_set_aside_and_the_run_starts_over(write_sweep, tmp_path,
                                                                 capsys):
    sweep = _sweep(write_sweep, 30)
    args = ["run", str(sweep), "--scale", "smoke", "--executor", "inline"]
    assert main([*args, "--results", str(tmp_path / "reference")]) == 0
    (run,) = expand(sweep, "smoke")
    folder = run_dir(tmp_path / "damaged", run)
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"PK\x03\x04 not a checkpoint")
    assert main([*args, "--results", str(tmp_path / "damaged")]) == 0
    assert "checkpoint.pt is unreadable" in capsys.readouterr().err
    for got, want in zip(_frames(folder), _frames(run_dir(tmp_path / "reference", run))):
        pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_is_a_clear_error_and_earlier_results_survive(write_sweep, tmp_path,
                                                                  tiny_disk, capsys):
    small, large = _sweep(write_sweep, 4), _sweep(write_sweep, 1500)
    results = tiny_disk / "results"
    assert main(["run", str(small), "--scale", "smoke", "--executor", "inline",
                 "--results", str(results)]) == 0
    (first,) = expand(small, "smoke")
    before = _frames(run_dir(results, first))
    code = main(["run", str(large), "--scale", "smoke", "--executor", "inline",
                 "--results", str(results), "--checkpoint-every", "100000"])
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 1 and "Traceback" not in err and len(errors) == 1, err
    assert "disk full" in errors[0] and str(results) in errors[0], errors
    for got, want in zip(_frames(run_dir(results, first)), before):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
