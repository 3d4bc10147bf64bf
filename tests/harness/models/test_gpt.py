"""The GPT's block-output scale α (Kosson Fig. 16): the default is today's model, α scales each
residual branch, and the config reaches the model and is checked."""

from __future__ import annotations

import pytest
import torch

from harness.models import build_model, model_for
from harness.models.gpt import GPT, Block
from harness.sweep import RunConfig, SweepError, expand

SWEEP = {"name": "ks", "model": "gpt", "depth": 2, "width": 32, "dataset": "stdlib_bytes",
         "optimizer": "muonmd", "lr": 0.01, "steps": 100, "scales": {"smoke": {}}}


def test_block_output_scale_default_is_todays_model():
    torch.manual_seed(0)
    default = GPT(256, 64, 4)
    torch.manual_seed(0)
    explicit = build_model("gpt", 4, 64, 256, 256, block_output_scale="none")
    for (name, a), (_, b) in zip(default.state_dict().items(), explicit.state_dict().items()):
        assert torch.equal(a, b), name
    assert all(block.alpha is None for block in default.blocks)
    x = torch.randint(0, 256, (2, 8))
    assert torch.equal(default(x), explicit(x))
    # GPT-2's residual init is kept without an α
    std = default.blocks[0].attn.proj.weight.std().item()
    assert std == pytest.approx(0.02 / 8 ** 0.5, rel=0.1)


@pytest.mark.parametrize("scale, alpha", [("inverse_depth", 0.25),
                                          ("inverse_sqrt_2depth", 8 ** -0.5)])
def test_block_output_scale_multiplies_each_branch(scale, alpha):
    model = build_model("gpt", 4, 64, 256, 256, block_output_scale=scale)
    assert all(block.alpha == pytest.approx(alpha) for block in model.blocks)
    assert model.blocks[0].attn.proj.weight.std().item() == pytest.approx(0.02, rel=0.1)
    block, x = model.blocks[1], torch.randn(2, 8, 64)
    with torch.no_grad():
        y = x + alpha * block.attn(block.attn_norm(x))
        expected = y + alpha * block.mlp(block.mlp_norm(y))
        assert torch.allclose(block(x), expected, atol=1e-6)
        plain = Block(64, 1)  # no α: the branches are added as they are
        plain.load_state_dict(block.state_dict())
        y = x + plain.attn(plain.attn_norm(x))
        assert torch.equal(plain(x), y + plain.mlp(plain.mlp_norm(y)))


def test_block_output_scale_config_reaches_the_model_and_is_checked():
    cfg = RunConfig(model="gpt", depth=3, width=64, dataset="stdlib_bytes", optimizer="muonmd",
                    lr=0.01, steps=4, block_output_scale="inverse_sqrt_2depth")
    model = model_for(cfg, 256, 256, None)
    assert model.blocks[0].alpha == pytest.approx(6 ** -0.5)
    with pytest.raises(ValueError, match="block_output_scale"):
        GPT(256, 64, 2, block_output_scale="sqrt")
    with pytest.raises(ValueError, match="applies to model gpt"):
        RunConfig(model="resnet", dataset="synthetic", optimizer="sgd", lr=0.1, steps=1,
                  block_output_scale="inverse_depth")


def test_bad_block_output_scale_in_a_sweep_names_the_choices(write_sweep):
    path = write_sweep({**SWEEP, "block_output_scale": "half"})
    with pytest.raises(SweepError, match="inverse_sqrt_2depth"):
        expand(path, "smoke")
