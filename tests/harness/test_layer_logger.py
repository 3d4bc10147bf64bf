"""LayerLogger's gain extremes in layers.parquet (Kosson Fig. 18): value_min / value_max for
gain tensors only, and rows that fit LAYERS_SCHEMA."""

from __future__ import annotations

import pyarrow as pa
import pytest
import torch

from harness.metrics import LayerLogger
from harness.models import model_for
from harness.optim import classify, reparameterize
from harness.runfolder import LAYERS_SCHEMA
from harness.sweep import RunConfig


def test_layer_logger_logs_gain_extremes_only_for_gains():
    cfg = RunConfig(model="gpt", depth=1, width=32, dataset="stdlib_bytes", optimizer="muonmd",
                    lr=0.01, steps=1, gain_param="identity")
    torch.manual_seed(0)
    model = model_for(cfg, 256, 256, None)
    infos = reparameterize(model, classify(model, torch.zeros(1, 8, dtype=torch.long)), cfg)
    params = dict(model.named_parameters())
    gain = "blocks.0.mlp.up.parametrizations.weight.0.row"
    with torch.no_grad():
        params[gain].copy_(torch.linspace(-0.5, 3.0, params[gain].numel()))
    logger = LayerLogger(list(params.items()), infos)
    model(torch.randint(0, 256, (2, 8))).sum().backward()
    logger.before_step(0)
    logger.after_step()
    rows = {r["layer"]: r for r in logger.rows}
    assert (rows[gain]["value_min"], rows[gain]["value_max"]) == pytest.approx((-0.5, 3.0))
    other = rows["blocks.0.attn.qkv.parametrizations.weight.0.col"]
    assert (other["value_min"], other["value_max"]) == pytest.approx((1.0, 1.0))
    assert rows["embed.weight"]["value_min"] is None and rows["head.weight"]["value_max"] is None
    assert rows[gain]["weight_norm"] == pytest.approx(params[gain].norm().item())
    table = pa.Table.from_pylist(logger.rows, schema=LAYERS_SCHEMA)  # fits the schema
    assert table.column("value_min").null_count == sum(1 for i in infos if i.kind != "gain")
