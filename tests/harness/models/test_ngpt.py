"""nGPT (harness/models/ngpt.py): one block's forward pass against nGPT's equations written here
in float64, one Adam step + renormalization against a hand-written update, unit-norm weights
and hidden states after training steps through the training loop, and MD on top of it."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from harness import run as run_module
from harness.models import build_model, model_for
from harness.models.gpt import rotary
from harness.models.ngpt import NGPT
from harness.optim import classify, reparameterize
from harness.run import train
from harness.sweep import RunConfig

WIDTH, HEADS = 128, 2  # heads of 64 channels


def norm(x):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True))


def block_reference(block, h):
    """nGPT Eq. 10–11 and §2.4–2.5 for one block, from the weights, in float64."""
    b, t, c = h.shape
    d = c // HEADS
    w_q, w_k, w_v = block.attn.qkv.weight.chunk(3)
    s_qk = block.attn.s_qk.value * (1.0 / WIDTH ** -0.5)
    heads = []
    for i in range(HEADS):
        cols = slice(i * d, (i + 1) * d)
        q = rotary((h @ w_q.T)[..., cols][:, None])[:, 0]
        k = rotary((h @ w_k.T)[..., cols][:, None])[:, 0]
        q, k = s_qk[cols] * norm(q), s_qk[cols] * norm(k)
        scores = (q @ k.transpose(-1, -2)) * math.sqrt(d)  # √d_k, not 1/√d_k
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), -math.inf)
        heads.append(scores.softmax(-1) @ (h @ w_v.T)[..., cols])
    h_a = norm(torch.cat(heads, -1) @ block.attn.proj.weight.T)
    alpha_a = block.alpha_attn.value * (0.05 / WIDTH ** -0.5)
    h = norm(h + alpha_a * (h_a - h))
    mlp = block.mlp
    u = (h @ mlp.up.weight.T) * mlp.s_u.value
    v = (h @ mlp.gate.weight.T) * mlp.s_v.value * math.sqrt(WIDTH)
    h_m = norm((u * F.silu(v)) @ mlp.down.weight.T)
    alpha_m = block.alpha_mlp.value * (0.05 / WIDTH ** -0.5)
    return norm(h + alpha_m * (h_m - h))


def model(seed=0) -> NGPT:
    torch.manual_seed(seed)
    m = NGPT(256, WIDTH, 2).double()
    with torch.no_grad():  # move the scales off their init so that each one is tested
        for p in m.parameters():
            if p.ndim == 1:
                p.mul_(1 + 0.3 * torch.rand_like(p))
    return m


def test_one_block_equals_ngpt_equations_in_float64():
    m = model()
    h = norm(torch.randn(2, 9, WIDTH, dtype=torch.float64))
    torch.testing.assert_close(m.blocks[0](h), block_reference(m.blocks[0], h),
                               rtol=1e-12, atol=1e-12)
    tokens = torch.randint(0, 256, (2, 9))
    want = m.embed.weight[tokens]
    for block in m.blocks:
        want = block_reference(block, want)
    want = (want @ m.head.weight.T) * m.s_z.value * (1.0 / WIDTH ** -0.5)
    torch.testing.assert_close(m(tokens), want, rtol=1e-12, atol=1e-12)


def test_one_adam_step_then_renormalization_by_hand():
    m, lr = model(), 1e-2
    tokens = torch.randint(0, 256, (2, 9))
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    F.cross_entropy(m(tokens).flatten(0, 1), tokens.roll(-1, 1).flatten()).backward()
    grads = {n: p.grad.clone() for n, p in m.named_parameters()}
    torch.optim.Adam(m.parameters(), lr=lr).step()
    m.after_optimizer_step()
    dims = {"embed.weight": 1, "head.weight": 1, "qkv.weight": 1, "up.weight": 1,
            "gate.weight": 1, "proj.weight": 0, "down.weight": 0}
    for name, p in m.named_parameters():
        g = grads[name]  # Adam's first step: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε)
        stepped = before[name] - lr * g / (g.abs() + 1e-8)
        dim = next((d for suffix, d in dims.items() if name.endswith(suffix)), None)
        want = stepped if dim is None else stepped / stepped.norm(dim=dim, keepdim=True)
        torch.testing.assert_close(p.detach(), want, rtol=1e-10, atol=1e-12, msg=name)


CFG = dict(model="ngpt", depth=2, width=WIDTH, dataset="stdlib_bytes", seq_len=16,
           batch_size=4, steps=5, optimizer="adamw", lr=1e-2, seed=2)


def test_weights_and_hidden_states_stay_on_the_sphere_through_training(tmp_path, monkeypatch):
    built = []

    def capture(*args, **kwargs):  # the loop's own model, to read its weights after training
        built.append(model_for(*args, **kwargs))
        return built[-1]
    monkeypatch.setattr(run_module, "model_for", capture)
    summary = train(RunConfig(**CFG), tmp_path / "run", progress=False)
    assert math.isfinite(summary["final_loss"])
    m = built[0]
    assert m.blocks[0].mlp.up.weight.grad is not None  # it was trained, not just built
    for module, dim in m.sphere_dims():
        assert module.weight.norm(dim=dim).tolist() == pytest.approx(
            [1.0] * module.weight.shape[1 - dim], abs=1e-5)
    states = []
    hooks = [b.register_forward_hook(lambda mod, i, out: states.append(out)) for b in m.blocks]
    with torch.no_grad():
        m(torch.randint(0, 256, (2, 9)))
    for h in hooks:
        h.remove()
    assert len(states) == 2
    assert all(s.norm(dim=-1).flatten().tolist() == pytest.approx([1.0] * 18, abs=1e-5)
               for s in states)


def test_the_training_loop_renormalizes_after_each_step(tmp_path, monkeypatch):
    calls = []
    original = NGPT.after_optimizer_step

    def counted(self):
        calls.append(1)
        original(self)
    monkeypatch.setattr(NGPT, "after_optimizer_step", counted)
    train(RunConfig(**CFG), tmp_path / "run", progress=False)
    assert len(calls) == 1 + CFG["steps"]  # once at construction, then after every step


def test_md_on_ngpt_leaves_its_matrices_to_md_and_the_head_to_ngpt():
    m = build_model("ngpt", 1, WIDTH, 256, 256)
    cfg = RunConfig(**{**CFG, "optimizer": "muonmd"})
    infos = reparameterize(m, classify(m, torch.randint(0, 256, (1, 8))), cfg)
    assert next(i for i in infos if i.name == "head.weight").output
    with torch.no_grad():
        m.blocks[0].attn.qkv.parametrizations.weight.original.mul_(3.0)
        m.head.weight.mul_(3.0)
    m.after_optimizer_step()
    assert m.head.weight.norm(dim=1).tolist() == pytest.approx([1.0] * 256, abs=1e-5)
    direction = m.blocks[0].attn.qkv.parametrizations.weight.original
    assert direction.norm(dim=1).mean() > 2.0  # untouched: MD keeps its own sphere
