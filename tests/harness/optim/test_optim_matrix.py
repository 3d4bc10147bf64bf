"""Scion/ScionC, Muon, Newton–Schulz and Renormalized AdamW against the float64 references in
harness/optim/reference.py (written from the papers' equations), over 20+ steps of a changing lr."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from harness.optim.muon import Muon
from harness.optim.newton_schulz import orthogonalize, orthogonalize_all
from harness.optim.reference import renormalized_adamw_reference, scion_reference
from harness.optim.renormalized import RenormalizedAdamW
from harness.optim.scion import Scion

STEPS = 24
SHAPES = [(6, 4), (3, 7), (5, 2, 3, 3)]  # tall, wide, conv kernel


def lr_at(t):  # warmup then decay: every rule must follow a moving lr
    return 0.05 * min(1.0, (t + 1) / 4) * (1 - t / (STEPS + 1))


def random_problem(shapes, seed):
    g = torch.Generator().manual_seed(seed)
    w0 = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    grads = [[torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
             for _ in range(STEPS)]
    return w0, grads


def run(optimizer_factory, w0, grads, c2_at=None, momentum_at=None):
    params = [nn.Parameter(w.clone()) for w in w0]
    opt = optimizer_factory(params)
    for t, gs in enumerate(grads):
        for group in opt.param_groups:
            group["lr"] = lr_at(t)
            if c2_at is not None:
                group["c2"] = c2_at(t)
            if momentum_at is not None:
                group["momentum"] = momentum_at(t)
        for p, gr in zip(params, gs):
            p.grad = gr.clone()
        opt.step()
    return [p.detach() for p in params]


@pytest.mark.parametrize("lmo", ["sign", "spectral", "colnorm", "rownorm", "bias_rms"])
@pytest.mark.parametrize("corrected", [False, True])
def test_scion_and_scionc_match_the_reference(lmo, corrected):
    lam, c2 = 0.3, 1.1875
    w0, grads = random_problem(SHAPES, seed=len(lmo) + 7 * corrected)

    def c2_at(t):  # cosine decay of C² to a quarter (Chou Tables 3-5)
        return c2 * (0.25 + 0.75 * 0.5 * (1 + math.cos(math.pi * t / STEPS)))

    def alpha_at(t):  # a momentum schedule: α rises from 0.1 to 0.4 (Chou Fig. 3)
        return 0.1 + 0.3 * t / STEPS

    got = run(lambda ps: Scion(ps, lr=0.05, momentum=0.9, weight_decay=lam, lmo=lmo,
                               corrected=corrected, c2=c2, ns_dtype=torch.float64),
              w0, grads, c2_at=c2_at, momentum_at=lambda t: 1 - alpha_at(t))
    lrs, alphas, c2s = ([f(t) for t in range(STEPS)] for f in (lr_at, alpha_at, c2_at))
    for i, w in enumerate(w0):
        x = scion_reference(w, [gs[i] for gs in grads], lrs, alphas, lmo, lam, c2s, corrected)
        # rtol 1e-5: the oracles guard their divisions with ε = 1e-8; the paper's don't.
        torch.testing.assert_close(got[i], x, rtol=1e-5, atol=1e-8)


def test_scionc_needs_c2_and_known_lmo():
    p = [nn.Parameter(torch.zeros(2, 2))]
    with pytest.raises(ValueError, match="c2"):
        Scion(p, lr=0.1, corrected=True)
    with pytest.raises(ValueError, match="spectral"):
        Scion(p, lr=0.1, lmo="frobenius")


@pytest.mark.parametrize("shape", [(64, 32), (32, 96), (50, 40)])
def test_newton_schulz_lands_singular_values_in_a_band(shape):
    # Rectangular Gaussian matrices are well conditioned; NS5 cannot lift singular values
    # that are tiny relative to ‖G‖_F (near-square random matrices have some) in 5 steps.
    g = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    u, _, vh = torch.linalg.svd(g, full_matrices=False)
    x = orthogonalize(g, dtype=torch.float32)
    s = torch.linalg.svdvals(x)
    # NS5 does not converge to 1: its coefficients leave singular values spread around 1.
    assert s.min() > 0.5 and s.max() < 1.3, s
    # ... but it is the polar factor's direction: U·Vᵀ up to that spread.
    polar = u @ vh
    assert torch.linalg.matrix_norm(x - polar) / torch.linalg.matrix_norm(polar) < 0.35
    assert ((x * polar).sum() / (x.norm() * polar.norm())) > 0.95


@pytest.mark.parametrize("shape", [(64, 32), (32, 96)])
def test_polar_express_converges_to_the_polar_factor(shape):
    # Polar Express's per-step polynomials converge (NS5's fixed ones stall in a band):
    # on a well-conditioned matrix, 8 steps give U·Vᵀ to float64 precision.
    g = torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    u, _, vh = torch.linalg.svd(g, full_matrices=False)
    x = orthogonalize(g, steps=8, method="polar_express", dtype=torch.float64)
    torch.testing.assert_close(x, u @ vh, rtol=0, atol=1e-9)
    ns = orthogonalize(g, steps=8, method="newton_schulz", dtype=torch.float64)
    assert (torch.linalg.svdvals(ns) - 1).abs().max() > 0.1
    # five steps already give a tighter lower band than NS5
    s5 = torch.linalg.svdvals(orthogonalize(g, 5, "polar_express", torch.float64))
    assert s5.min() > torch.linalg.svdvals(orthogonalize(g, 5, dtype=torch.float64)).min()


@pytest.mark.parametrize("adjust", ["original", "match_rms_adamw", "spectral_unclamped"])
def test_muon_equals_torch_muon_on_matrices(adjust):
    w0, grads = random_problem([(8, 5), (4, 9)], seed=3)
    w0 = [w.float() for w in w0]
    grads = [[g.float() for g in gs] for gs in grads]
    ours = run(lambda ps: Muon(ps, lr=0.02, momentum=0.95, weight_decay=0.1, adjust_lr=adjust,
                               ns_dtype=torch.bfloat16), w0, grads)
    theirs = run(lambda ps: torch.optim.Muon(ps, lr=0.02, momentum=0.95, weight_decay=0.1,
                                             adjust_lr_fn=adjust), w0, grads)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", ["newton_schulz", "polar_express"])
def test_same_shape_matrices_are_orthogonalized_as_one_stack(method):
    """orthogonalize_all stacks the matrices of one shape (a MoE's experts, a transformer's
    blocks) into one batched call: each result is the matrix's own orthogonalize, in order."""
    gen = torch.Generator().manual_seed(5)
    shapes = [(24, 8), (8, 32), (24, 8), (5, 5), (24, 8), (8, 32)]
    matrices = [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
    alone = [orthogonalize(m, method=method, dtype=torch.float64) for m in matrices]
    for a, b in zip(orthogonalize_all(matrices, method=method, dtype=torch.float64), alone):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="matrix or a stack"):
        orthogonalize(torch.zeros(2, 2, 3, 3))


def test_muon_with_same_shape_matrices_is_as_accurate_as_torch_muon():
    """Muon stacks a group's same-shape matrices for Newton–Schulz (batched matmuls add in
    another order than torch.optim.Muon's one matrix at a time), so in bf16 the two round
    differently: against a float64 Newton–Schulz, ours errs no more than torch's, and
    unstacked (distinct shapes) they agree exactly (test_muon_equals_torch_muon_on_matrices)."""
    w0, grads = random_problem([(8, 5), (8, 5), (4, 9), (8, 5)], seed=6)
    exact = run(lambda ps: Muon(ps, lr=0.02, momentum=0.95, weight_decay=0.1,
                                ns_dtype=torch.float64), w0, grads)
    w0 = [w.float() for w in w0]
    grads = [[g.float() for g in gs] for gs in grads]
    ours = run(lambda ps: Muon(ps, lr=0.02, momentum=0.95, weight_decay=0.1,
                               ns_dtype=torch.bfloat16), w0, grads)
    theirs = run(lambda ps: torch.optim.Muon(ps, lr=0.02, momentum=0.95, weight_decay=0.1),
                 w0, grads)
    error = {name: max(float((a.double() - e).abs().max()) for a, e in zip(ws, exact))
             for name, ws in (("ours", ours), ("torch", theirs))}
    assert 0 < error["ours"] <= 1.5 * error["torch"], error


def test_muon_flattens_conv_kernels_like_a_matrix():
    w0, grads = random_problem([(4, 3, 3, 3)], seed=4)
    flat = run(lambda ps: Muon(ps, lr=0.02, ns_dtype=torch.float64),
               [w0[0].reshape(4, -1)], [[g[0].reshape(4, -1)] for g in grads])
    conv = run(lambda ps: Muon(ps, lr=0.02, ns_dtype=torch.float64), w0, grads)
    torch.testing.assert_close(conv[0].reshape(4, -1), flat[0], rtol=1e-12, atol=1e-12)


def test_renormalized_adamw_matches_algorithm_1():
    b1, b2, eps, lam = 0.9, 0.99, 1e-8, 0.2
    w0, grads = random_problem([(6, 4), (5,)], seed=5)
    got = run(lambda ps: RenormalizedAdamW(ps, lr=0.05, betas=(b1, b2), eps=eps,
                                           weight_decay=lam), w0, grads)
    lrs = [lr_at(t) for t in range(STEPS)]
    for i, w in enumerate(w0):
        x = renormalized_adamw_reference(w, [gs[i] for gs in grads], lrs, lam, b1, b2, eps)
        torch.testing.assert_close(got[i], x, rtol=1e-10, atol=1e-12)


def test_renormalized_adamw_keeps_only_the_parallel_norm_change():
    """With gradients orthogonal to the weights, u_∥ ≈ 0: the norm is then set by decay alone."""
    w = nn.Parameter(torch.tensor([[3.0, 0.0], [0.0, 4.0]], dtype=torch.float64))
    opt = RenormalizedAdamW([w], lr=0.1, weight_decay=0.5, betas=(0.0, 0.0))
    w.grad = torch.tensor([[0.0, 1.0], [-1.0, 0.0]], dtype=torch.float64)  # ⟨w, g⟩ = 0
    norm = w.detach().norm().item()
    opt.step()
    assert w.detach().norm().item() == pytest.approx(norm * (1 - 0.1 * 0.5), rel=1e-6)
