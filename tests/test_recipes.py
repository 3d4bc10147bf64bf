"""Paper-scale recipes on generated files: ImageNet folders with the ResNet and ViT transforms,
augmentation draws that resume exactly, Mixup, the Scion ViT variant, torch.compile, MFU."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch import nn

from harness.data import BatchStream, DataError, build_dataset
from harness.run import train
from harness.sweep import RunConfig


def _image_folder(root, classes=2, per_class=6, side=40):
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in range(classes):
            folder = root / "imagenet" / split / f"n{c:08d}"
            folder.mkdir(parents=True)
            for i in range(per_class):
                pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.JPEG")
    return root


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return _image_folder(tmp_path_factory.mktemp("data"))


def test_imagenet_folders_missing_or_empty_are_refused_naming_the_path(tmp_path):
    with pytest.raises(DataError, match="imagenet/train not found"):
        build_dataset("imagenet", tmp_path)
    (tmp_path / "imagenet" / "train" / "n01").mkdir(parents=True)
    with pytest.raises(DataError, match="imagenet/val not found"):
        build_dataset("imagenet", tmp_path)
    (tmp_path / "imagenet" / "val").mkdir()
    with pytest.raises(DataError, match="imagenet/val has no class folders"):
        build_dataset("imagenet", tmp_path)


def _draws(stream, n):
    return [next(stream) for _ in range(n)]


@pytest.mark.parametrize("workers", [0, 2])
def test_augmentation_draws_resume_exactly(data_root, workers):
    data = build_dataset("imagenet", data_root, 32, crop_scale_min=0.05,
                         randaugment="rand-m10-n2")
    stream = BatchStream(data.train, 4, seed=0, workers=workers)
    first = _draws(stream, 2)  # into the second epoch of 12 images: a partial one resumes
    state = stream.state_dict()
    before = torch.get_rng_state()
    want = _draws(stream, 4)
    assert torch.equal(torch.get_rng_state(), before)  # the loop's own RNG is untouched
    resumed = BatchStream(data.train, 4, seed=0, workers=workers)
    resumed.load_state_dict(state)
    for (x, y), (x2, y2) in zip(want, _draws(resumed, 4)):
        assert torch.equal(x, x2) and torch.equal(y, y2)
    # Different draws really differ (the augmentation is random, not off).
    again = BatchStream(data.train, 4, seed=0, workers=workers)
    _draws(again, 3)
    assert not torch.equal(_draws(again, 1)[0][0], first[0][0])


def test_in_process_and_worker_loading_draw_the_same_augmentations(data_root):
    data = build_dataset("imagenet", data_root, 32, randaugment="rand-m10-n2")
    inline = _draws(BatchStream(data.train, 4, seed=1, workers=0), 3)
    workers = _draws(BatchStream(data.train, 4, seed=1, workers=2), 3)
    for (x, _), (x2, _) in zip(inline, workers):
        assert torch.equal(x, x2)


def test_vit_recipe_trains_on_imagenet_folders(data_root, tmp_path):
    cfg = RunConfig(model="vit", depth=1, width=32, patch_size=8, image_size=32,
                    dataset="imagenet", crop_scale_min=0.05, randaugment="rand-m10-n2",
                    mixup=0.2, batch_size=4, steps=3, optimizer="adamw", lr=1e-3,
                    weight_decay=0.1, vit_norm="rmsnorm", vit_activation="sqrt2_gelu")
    summary = train(cfg, tmp_path, data_root=data_root, progress=False)
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    assert metrics["loss"].notna().all() and 0 <= summary["eval_accuracy"] <= 1


def test_recipe_keys_are_refused_where_they_do_not_apply():
    base = dict(model="resnet", dataset="mnist5k", steps=1, optimizer="sgd", lr=0.1)
    with pytest.raises(ValueError,
                       match="randaugment / crop_scale_min / train_holdout apply to dataset"):
        RunConfig(**base, randaugment="rand-m10-n2")
    with pytest.raises(ValueError, match="vit_norm / vit_activation / vit_init apply to model vit"):
        RunConfig(**base, vit_norm="rmsnorm")
    with pytest.raises(ValueError, match="randaugment"):
        RunConfig(**{**base, "dataset": "imagenet"}, randaugment="autoaugment")


def test_mixup_mixes_labels_into_soft_targets(tmp_path):
    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", batch_size=16,
                    steps=3, optimizer="sgd", lr=0.1, mixup=0.2)
    train(cfg, tmp_path, progress=False)
    mixed = pd.read_parquet(tmp_path / "metrics.parquet")["loss"]
    train(cfg.model_copy(update={"mixup": 0.0}), tmp_path / "plain", progress=False)
    plain = pd.read_parquet(tmp_path / "plain" / "metrics.parquet")["loss"]
    assert mixed.notna().all() and not np.allclose(mixed, plain)


def test_scion_vit_variant_uses_rmsnorm_and_sqrt2_gelu():
    from harness.models import build_model
    from harness.models.vit import Sqrt2GELU
    from harness.optim import classify

    model = build_model("vit", 2, 64, 3, 10, image_size=16, patch_size=4, norm="rmsnorm",
                        activation="sqrt2_gelu")
    kinds = {type(m) for m in model.modules()}
    assert nn.RMSNorm in kinds and nn.LayerNorm not in kinds and Sqrt2GELU in kinds
    x = torch.linspace(-3, 3, 7)
    gelu = 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))  # exact GELU, from its definition
    torch.testing.assert_close(Sqrt2GELU()(x), math.sqrt(2) * gelu)
    infos = {i.name: i for i in classify(model, torch.zeros(1, 3, 16, 16))}
    norm = infos["blocks.0.norm1.weight"]
    assert norm.kind == "norm" and not norm.decayed
    assert infos["blocks.0.mlp.fc1.weight"].normalized


def test_throughput_columns_and_mfu(tmp_path, monkeypatch):
    from harness.cost import forward_flops

    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", batch_size=16,
                    steps=3, optimizer="sgd", lr=0.1)
    train(cfg, tmp_path / "cpu", progress=False)
    cpu = pd.read_parquet(tmp_path / "cpu" / "metrics.parquet")
    assert cpu["mfu"].isna().all()  # no datasheet peak for a CPU
    monkeypatch.setenv("WDLAB_PEAK_TFLOPS", "0.5")
    train(cfg, tmp_path / "peak", progress=False)
    m = pd.read_parquet(tmp_path / "peak" / "metrics.parquet")
    flops = 3 * forward_flops("resnet", 8, 4, "synthetic", None, 16)
    np.testing.assert_allclose(m["model_tflops_per_s"], flops * m["samples_per_s"] / 1e12)
    np.testing.assert_allclose(m["mfu"], m["model_tflops_per_s"] / 0.5)


def test_torch_compile_trains_like_eager(tmp_path):
    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", batch_size=16,
                    steps=3, optimizer="sgd", lr=0.1)
    train(cfg, tmp_path / "eager", progress=False)
    train(cfg.model_copy(update={"torch_compile": True}), tmp_path / "compiled", progress=False)
    eager, compiled = (pd.read_parquet(tmp_path / f / "metrics.parquet")["loss"]
                       for f in ("eager", "compiled"))
    np.testing.assert_allclose(compiled, eager, rtol=1e-4)


def test_evaluation_builds_no_autograd_graph():
    from harness.run import evaluate

    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 10))
    seen = []
    model.register_forward_hook(lambda m, i, o: seen.append(o.requires_grad))
    data = build_dataset("synthetic")
    evaluate(model, data.test, 64, torch.device("cpu"), limit=64)
    assert seen == [False] and model.training  # no graph kept; train mode restored


def test_training_flushes_denormals(tmp_path):
    # Denormals made a mini Scion GPT 15× slower on CPU (80 → 5 samples/s) once decayed
    # values drifted below 1.2e-38; training turns on flush-to-zero.
    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", batch_size=16,
                    steps=1, optimizer="sgd", lr=0.1)
    train(cfg, tmp_path, progress=False)
    assert torch.tensor([1e-39]).item() == 0.0
