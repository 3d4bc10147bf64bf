"""Float64 reference update rules, one function per rule, written from the papers' equations.

The fast optimizers in harness/optim/*.py use foreach/fused kernels, in-place ops and group
bookkeeping; the functions here are their readable counterparts: one tensor, a plain loop over
steps, top to bottom, in the papers' notation. They import nothing else from harness/optim on
purpose (a bug shared by both would go unseen): tests/harness/optim/ holds the fast code
equal to them. Each takes the tensor's start value, its gradient at every step and the lr at
every step (the schedule is the caller's), and returns the tensor after the last step.

Papers (in shared/papers/): Defazio 2025 (SGDC, AdamC), Chou et al. 2025 (Renormalized AdamW,
Scion/ScionC), Kosson et al. 2026 with specs/md_decoupling.md (AdamMD, MuonMD).
"""

from __future__ import annotations

import math

import torch

# ---- building blocks ------------------------------------------------------------------------


def ns5_reference(a, steps=5):
    """Newton–Schulz quintic from Jordan et al.: X ← aX + (bXXᵀ + c(XXᵀ)²)X on the wide side,
    after scaling to unit Frobenius norm. Written from the equations, for reference tests."""
    ca, cb, cc = 3.4445, -4.7750, 2.0315
    tall = a.shape[0] > a.shape[1]
    x = a.T if tall else a
    x = x / (x**2).sum().sqrt()
    for _ in range(steps):
        gram = x @ x.T
        x = ca * x + (cb * gram + cc * gram @ gram) @ x
    return x.T if tall else x


def lmo_reference(name, m):
    """Scion's linear minimization oracles lmo(A), A = m flattened to d_out × d_in.

    Sign −sign(A)/d_in and Spectral −√(d_out/d_in)·UVᵀ as in Chou §2.2 (UVᵀ by NS5);
    ColNorm, RowNorm and the bias's RMS oracle from Pethick et al. 2025, which Chou cites.
    No ε in the divisions: the paper's oracles have none."""
    a = m.reshape(m.shape[0], -1)
    d_out, d_in = a.shape
    if name == "sign":
        out = -torch.sign(a) / d_in
    elif name == "spectral":
        out = -math.sqrt(d_out / d_in) * ns5_reference(a)
    elif name == "colnorm":  # columns to RMS 1
        out = -a / torch.sqrt((a**2).mean(dim=0, keepdim=True))
    elif name == "rownorm":  # rows to ℓ2 norm 1/√d_in
        out = -a / (torch.sqrt((a**2).sum(dim=1, keepdim=True)) * math.sqrt(d_in))
    else:  # bias_rms
        out = -m / torch.sqrt((m**2).mean())
    return out.reshape(m.shape)


def effective_lr_reference(lr, alpha):
    """Chou eq. 3: γ_eff = γ·√((2 − α)/α), the lr that sets the steady-state norm under
    momentum α (α = 1 − torch's momentum)."""
    return lr * math.sqrt((2 - alpha) / alpha)


# ---- Defazio 2025: corrected weight decay -------------------------------------------------


def sgdc_reference(x0, grads, lrs, lam, beta, gamma_max, corrected=True):
    """SGDC (Defazio §5): SGD with momentum whose decay on a normalized layer follows the
    schedule, λ̂_t = λ·γ_t/γ_max (the unnumbered equation after Alg. 1); corrected=False is
    plain SGD. Decay is coupled (added to g), then momentum without dampening: the standard
    PyTorch SGDM that Defazio §3.1 analyses."""
    x, buf = x0.clone(), None
    for g, gamma in zip(grads, lrs):
        lam_t = lam * gamma / gamma_max if corrected else lam
        d = g + lam_t * x  # torch SGD: coupled decay, then momentum
        buf = d.clone() if buf is None else beta * buf + d
        x = x - gamma * buf
    return x


def adamc_reference(x0, grads, lrs, lam, b1, b2, eps, gamma_max, corrected=True):
    """AdamC, Defazio Alg. 1: Adam moments (lines 6–9), then the corrected decay
    γ_t²/γ_max·λ on a normalized layer (line 12) or AdamW's γ_t·λ otherwise (line 14)."""
    x, m, v = x0.clone(), torch.zeros_like(x0), torch.zeros_like(x0)
    for t, (g, gamma) in enumerate(zip(grads, lrs), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        step = gamma * (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
        decay = gamma**2 / gamma_max * lam if corrected else gamma * lam  # Alg. 1, lines 12/14
        x = x - step - decay * x
    return x


# ---- Chou et al. 2025: Renormalized AdamW, Scion / ScionC ---------------------------------


def renormalized_adamw_reference(x0, grads, lrs, lam, b1, b2, eps):
    """"Renormalized" AdamW, Chou Alg. 1: decay (line 10), Adam step (line 11), then rescale
    so only u's component along θ changes the norm (lines 12–14). u carries AdamW's +ε in
    its denominator, which line 9 omits, as the implementation does."""
    x, m, v = x0.clone(), torch.zeros_like(x0), torch.zeros_like(x0)
    for t, (g, gamma) in enumerate(zip(grads, lrs), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        u = (m / (1 - b1**t)) / (torch.sqrt(v / (1 - b2**t)) + eps)
        x = x - gamma * lam * x  # line 10
        new = x - gamma * u  # line 11
        if x.norm() >= eps:  # lines 12-14
            u_par = (x * u).sum() / x.norm()
            new = (x.norm() - gamma * u_par).abs() / (new.norm() + eps) * new
        x = new
    return x


def scion_reference(x0, grads, lrs, alphas, lmo, lam, c2s, corrected):
    """Scion and ScionC, Chou Alg. 2: momentum m ← (1−α_t)m + α_t·g (line 9); ScionC's
    decay λ_t = (2−α_t)/(2α_t·C²_t)·γ_t (line 11, from eq. 4), Scion's a fixed λ (line 13);
    θ ← θ + γ_t(−λ_t·θ + lmo(m)) (line 15). alphas and c2s are per-step schedules."""
    x, m = x0.clone(), torch.zeros_like(x0)
    for g, gamma, alpha, c2 in zip(grads, lrs, alphas, c2s):
        m = (1 - alpha) * m + alpha * g
        lam_t = (2 - alpha) / (2 * alpha * c2) * gamma if corrected else lam
        x = x + gamma * (-lam_t * x + lmo_reference(lmo, m))
    return x


# ---- Kosson et al. 2026: MD decoupling (specs/md_decoupling.md) --------------------------


def adam_md_reference(v0, grads, lrs, b1=0.9, b2=0.999, eps=1e-8):
    """Spec §Update: Adam proposal, step rescaled to relative size lr, back onto ‖V‖ = R."""
    radius, v = v0.norm(), v0.clone()
    m, s, relative = torch.zeros_like(v), torch.zeros_like(v), []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        u = (m / (1 - b1**t)) / (torch.sqrt(s / (1 - b2**t)) + eps)
        step = lr * v.norm() * u / u.norm()
        relative.append((step.norm() / v.norm()).item())
        v = radius * (v - step) / (v - step).norm()
    return v, relative


def muon_md_reference(v0, grads, lrs, mu, factor=1.0):
    """Spec §Update, steps 2 and 4: Muon's proposal (NS5 of the Nesterov momentum), a step of
    relative size lr·factor (factor: Muon's shape scale, Kosson Fig. 14), back onto ‖V‖ = R."""
    radius, v, buf = v0.norm(), v0.clone(), torch.zeros_like(v0)
    for g, lr in zip(grads, lrs):
        buf = mu * buf + (1 - mu) * g
        u = ns5_reference(g + mu * (buf - g))  # Nesterov
        step = lr * factor * v.norm() * u / u.norm()
        v = radius * (v - step) / (v - step).norm()
    return v


def md_sphere_reference(v0, grads, lrs, sphere, base, factor=1.0, b1=0.9, b2=0.999, eps=1e-8,
                     mu=0.95):
    """Spec §Update on Kosson Fig. 4's spheres, one vector at a time: every row (sphere "row"),
    column ("col") or the whole matrix ("frobenius") steps by relative size lr·factor along
    the Adam (base "adam") or Muon (NS5 of the Nesterov momentum) proposal and goes back to its
    own initial norm. Returns (V, the radii)."""
    def pieces(x):  # list of views, one per constrained vector
        if sphere == "row":
            return [x[i] for i in range(x.shape[0])]
        if sphere == "col":
            return [x[:, j] for j in range(x.shape[1])]
        return [x]
    v = v0.clone()
    radii = [float(torch.sqrt((piece**2).sum())) for piece in pieces(v)]
    m, s, buf = torch.zeros_like(v), torch.zeros_like(v), torch.zeros_like(v)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        if base == "adam":
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            u = (m / (1 - b1**t)) / (torch.sqrt(s / (1 - b2**t)) + eps)
        else:
            buf = mu * buf + (1 - mu) * g
            u = ns5_reference(g + mu * (buf - g))
        new = v.clone()
        for vp, up, newp, radius in zip(pieces(v), pieces(u), pieces(new), radii):
            step = lr * factor * torch.sqrt((vp**2).sum()) * up / torch.sqrt((up**2).sum())
            moved = vp - step
            newp.copy_(radius * moved / torch.sqrt((moved**2).sum()))
        v = new
    return v, radii
