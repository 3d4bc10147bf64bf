"""`make gpu-check`'s script at tiny shapes on the CPU: the same code paths a GPU runs
(harness-built models and optimizers, bf16 autocast, channels_last, torch.compile)."""

from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import gpu_check  # noqa: E402


def test_every_workload_trains_and_the_optimizer_pairs_are_timed(capsys):
    lines = gpu_check.main(["--tiny", "--steps", "4", "--no-compile"])
    rows = [line for line in lines if line.startswith("| ") and "eager" in line]
    assert len(rows) == 3 and all(row.endswith("| yes |") for row in rows)
    for pair in ("sgdc / sgd", "adamc / adamw", "scionc / scion"):
        assert any(line.startswith(f"| {pair} | ") for line in lines)


def test_compiled_forward_trains_too():
    keys, batch = gpu_check.TINY["ResNet-8 32² (SGD)"]
    import torch

    row = gpu_check.train_check("tiny", keys, batch, 4, True, torch.device("cpu"))
    assert row["mode"] == "compile" and row["falls"]
