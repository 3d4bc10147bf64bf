"""`harness plan --cost` is honest: parameters, the run's precision on the named GPU's
datasheet peak, an MFU whose source it names (a cited throughput, or "assumed"), and ImageNet
runs held to what their decoding cores can feed."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import REPO

from harness import cost
from harness.cli import main
from harness.sweep import RunConfig

RESNET50 = dict(model="resnet", depth=50, width=64, dataset="imagenet", batch_size=256,
                epochs=1, optimizer="sgd", lr=0.1)


def test_fp32_is_priced_at_the_tf32_peak_and_bf16_at_the_bf16_peak():
    fp32 = cost.run_cost(RunConfig(**RESNET50), gpu="A100")
    bf16 = cost.run_cost(RunConfig(**RESNET50, precision="bf16"), gpu="A100")
    assert (fp32["peak_tflops"], bf16["peak_tflops"]) == (156.0, 312.0)
    # both priced from NVIDIA's published rates: 938 img/s TF32, 2 470 img/s AMP on an A100
    assert fp32["gpu_hours"] == pytest.approx(1_281_167 / 938 / 3600, rel=0.01)
    assert bf16["gpu_hours"] == pytest.approx(1_281_167 / 2470 / 3600, rel=0.01)
    assert "DeepLearningExamples" in fp32["mfu_source"] and fp32["params"] == 25_557_032


def test_an_uncited_workload_says_its_mfu_is_assumed():
    c = cost.run_cost(RunConfig(model="gpt", depth=2, width=64, dataset="fineweb_edu",
                                steps=10, optimizer="adamw", lr=1e-3))
    assert c["mfu"] == cost.ASSUMED_MFU and c["mfu_source"] == "assumed"


def test_too_few_decoding_cores_make_an_imagenet_run_loader_bound(tmp_path, monkeypatch):
    rates = tmp_path / "loader_rates.json"
    rates.write_text(json.dumps({"resnet": 250, "vit": 200}))
    monkeypatch.setattr(cost, "LOADER_RATES", rates)
    cfg = RunConfig(**RESNET50, precision="bf16")
    fed = cost.run_cost(cfg, gpu="A100", workers_per_gpu=11)
    starved = cost.run_cost(cfg, gpu="A100", workers_per_gpu=2)
    assert not fed["loader_bound"] and starved["loader_bound"]
    assert starved["gpu_hours"] == pytest.approx(1_281_167 / 500 / 3600, rel=0.01)


def test_plan_cost_prints_parameters_precision_and_the_mfu_source(tmp_path, capsys):
    profile = {**yaml.safe_load(open(REPO / "slurm/profiles/example-gpu-cluster.yaml")),
               "gpu": "H100"}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(profile))
    assert main(["plan", str(REPO / "experiments/chou2025/figure-4.yaml"), "--scale", "paper",
                 "--cost", "--cluster", str(path)]) == 0
    out = capsys.readouterr().out
    assert "params=123.6M" in out and "bf16@989TF" in out and "(assumed)" in out
    assert "GPU-hours on H100" in out


def test_an_unknown_gpu_is_refused_and_a_cited_rate_elsewhere_says_so():
    from harness.sweep import SweepError

    with pytest.raises(SweepError, match="--gpu V100: no datasheet peak"):
        cost.run_cost(RunConfig(**RESNET50), gpu="V100")
    assert cost.run_cost(RunConfig(**RESNET50), gpu="V100", gpu_tflops=125.0)["gpu_hours"] > 0
    assert "assumed to carry over to H100" in cost.run_cost(RunConfig(**RESNET50))["mfu_source"]
