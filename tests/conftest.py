"""Shared fixtures: small sweep files written into a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

# re-exported: tests/test_kosson_ablations.py imports it from here
from harness.optim.reference import ns5_reference  # noqa: F401

REPO = Path(__file__).resolve().parents[1]

SMOKE_SWEEP = {
    "name": "smoke-test",
    "paper": "defazio2025",
    "figure": "2",
    "model": "resnet",
    "depth": 8,
    "width": 4,
    "dataset": "synthetic",
    "optimizer": "sgd",
    "lr": 0.1,
    "weight_decay": 0.01,
    "batch_size": 32,
    "steps": 4,
    "scales": {"smoke": {}, "mini": {"steps": 8}},
}


@pytest.fixture
def write_sweep(tmp_path):
    """write_sweep(dict or text, name) -> path of a sweep file in tmp_path."""

    def write(content, name: str = "sweep.yaml") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
        return path

    return write


@pytest.fixture
def smoke_sweep(write_sweep):
    return write_sweep(SMOKE_SWEEP)
