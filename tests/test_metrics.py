"""Metrics: gradients are of the loss alone, update norms are real, writes are atomic."""

from __future__ import annotations

import pytest
import torch

from harness import metrics
from harness.metrics import METRICS_SCHEMA, LayerLogger, atomic_write_parquet
from harness.models import build_model
from harness.optim import classify


def test_logged_norms_match_a_direct_computation():
    torch.manual_seed(0)
    model = build_model("resnet", 8, 4, 3, 10)
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    infos = classify(model, x[:1])
    logger = LayerLogger(list(model.named_parameters()), infos)
    # Large weight decay: if it leaked into the logged gradient, norms would differ a lot.
    opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.5)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    expected_grad = {n: p.grad.norm().item() for n, p in model.named_parameters()}
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    logger.before_step(0)
    opt.step()
    logger.after_step()
    rows = {r["layer"]: r for r in logger.rows}
    for name, p in model.named_parameters():
        assert rows[name]["grad_norm"] == pytest.approx(expected_grad[name], rel=1e-6)
        assert rows[name]["weight_norm"] == pytest.approx(before[name].norm().item(), rel=1e-6)
        assert rows[name]["weight_max_abs"] == before[name].abs().max().item()
        assert rows[name]["update_norm"] == pytest.approx((p - before[name]).norm().item(),
                                                          rel=1e-5)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "metrics.parquet"
    atomic_write_parquet([{"step": 0, "loss": 1.0}], METRICS_SCHEMA, path)
    original = path.read_bytes()

    def crash_halfway(table, where):  # a disk-full / killed writer
        with open(where, "wb") as f:
            f.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(metrics.pq, "write_table", crash_halfway)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_parquet([{"step": 1, "loss": 2.0}], METRICS_SCHEMA, path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.parquet"]  # no temp left behind
