"""Kosson et al. 2026, Figure 2: The same normalized step rotates small weights more and inflates
the norm; on the sphere (MD) the rotation per step is atan(lr), whatever the norm. Needs no
results.
"""

from __future__ import annotations

import numpy as np

from analysis import style
from analysis.style import verdict

PAPER = "Kosson et al. 2026"
SWEEP = None  # the sweep it draws from
# The summary's Fig. 2 caption is cut off before any MD panel; MD's atan(lr) is derived.
QUOTE = ("Kosson et al. 2026 (summary), Fig. 2: “In standard optimizers the weight magnitude "
         "silently distorts each update: the same step rotates the weights more at small "
         "magnitude and inflates the norm even when only the direction matters. Illustrated on a "
         "toy scale-invariant loss, where only the direction of the weights affects the loss.” / "
         "abstract: “the directional change from an update depends on the current magnitude, "
         "while the magnitude drifts as a byproduct of learning the direction, so neither is "
         "governed directly by the learning rate.”")


# Thresholds from the paper's captions, fixed before our runs.
# The toy: a 2-D scale-invariant loss L(w) = 1 − cos(∠w − TARGET), weights starting at
# two radii, the same normalized step length ETA for TOY_STEPS steps.
TARGET, ETA, TOY_STEPS, RADII = 2.0, 0.1, 30, (0.5, 2.0)
EXACT = 1e-9       # Fig. 2: float64 numerics against closed forms (rad, relative norm)


def toy_grad(w: np.ndarray) -> np.ndarray:
    """∇L of the toy loss: perpendicular to w, of size |sin(∠w − TARGET)| / ‖w‖."""
    r, theta = np.linalg.norm(w), np.arctan2(w[1], w[0])
    return np.sin(theta - TARGET) / r * np.array([-np.sin(theta), np.cos(theta)])


def normalized_step(w: np.ndarray, grad: np.ndarray, length: float) -> np.ndarray:
    """The optimizer's update: length `length` along −∇L (an Adam-like unit-size step)."""
    return -length * grad / np.linalg.norm(grad)


def toy_trajectory(radius: float, eta: float, steps: int, md: bool = False) -> np.ndarray:
    """Weights (steps + 1, 2). Plain: w ← w + step of length η. MD: the step is scaled to
    relative size η (the lr), then w goes back onto the sphere ‖w‖ = radius."""
    w = np.array([radius, 0.0])
    out = [w]
    for _ in range(steps):
        length = eta * np.linalg.norm(w) if md else eta
        w = w + normalized_step(w, toy_grad(w), length)
        if md:
            w = radius * w / np.linalg.norm(w)
        out.append(w)
    return np.array(out)


def rotation_per_step(ws: np.ndarray) -> np.ndarray:
    """Angle between consecutive weight vectors (atan2 of cross and dot: exact near 0)."""
    a, b = ws[:-1], ws[1:]
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return np.abs(np.arctan2(cross, (a * b).sum(1)))


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """The same normalized step rotates small weights more and inflates the norm; on the
    sphere (MD) the rotation per step is atan(lr), whatever the norm. Needs no results."""
    k = np.arange(TOY_STEPS + 1)
    plain = {r: toy_trajectory(r, ETA, TOY_STEPS) for r in RADII}
    md = {r: toy_trajectory(r, ETA, TOY_STEPS, md=True) for r in RADII}
    err = {"plain_rotation": 0.0, "plain_norm": 0.0, "md_rotation": 0.0, "md_norm": 0.0}
    for r in RADII:
        norms = np.linalg.norm(plain[r], axis=1)
        err["plain_rotation"] = max(err["plain_rotation"], float(np.max(np.abs(
            rotation_per_step(plain[r]) - np.arctan(ETA / norms[:-1])))))
        err["plain_norm"] = max(err["plain_norm"], float(np.max(np.abs(
            norms / np.sqrt(r**2 + k * ETA**2) - 1))))
        err["md_rotation"] = max(err["md_rotation"], float(np.max(np.abs(
            rotation_per_step(md[r]) - np.arctan(ETA)))))
        err["md_norm"] = max(err["md_norm"], float(np.max(np.abs(
            np.linalg.norm(md[r], axis=1) / r - 1))))
    first = {r: float(rotation_per_step(plain[r][:2])[0]) for r in RADII}
    small, large = min(RADII), max(RADII)
    shown = {"plain_rotation_is_atan_eta_over_norm": err["plain_rotation"] <= EXACT,
             "plain_norm_grows_as_sqrt_r2_plus_k_eta2": err["plain_norm"] <= EXACT,
             "small_norm_rotates_more": first[small] > first[large],
             "md_rotation_set_by_lr_alone": max(err["md_rotation"], err["md_norm"]) <= EXACT}
    verdicts = [
        verdict(shown["plain_rotation_is_atan_eta_over_norm"], "plain: rotation per step vs "
                f"atan(η/‖w‖): max error {err['plain_rotation']:.1e} rad (≤ {EXACT:g})"),
        verdict(shown["plain_norm_grows_as_sqrt_r2_plus_k_eta2"], "plain: ‖w_k‖ vs √(r²+kη²):"
                f" max relative error {err['plain_norm']:.1e} (≤ {EXACT:g})"),
        verdict(shown["small_norm_rotates_more"], f"first-step rotation at ‖w‖={small:g}: "
                f"{first[small]:.4f} rad, at ‖w‖={large:g}: {first[large]:.4f} rad"),
        verdict(shown["md_rotation_set_by_lr_alone"], "MD: rotation vs atan(lr) "
                f"{err['md_rotation']:.1e} rad, ‖w‖ drift {err['md_norm']:.1e} (≤ {EXACT:g})"),
    ]
    fig, axes = style.plt.subplots(1, 3, figsize=(14, 4.2))
    grid = np.linspace(-3, 3, 301)
    x, y = np.meshgrid(grid, grid)
    axes[0].contourf(x, y, 1 - np.cos(np.arctan2(y, x) - TARGET), levels=20, cmap="Greys")
    for r, color in zip(RADII, ("#d62728", "#1f77b4")):
        axes[0].plot(*plain[r].T, ".-", color=color, ms=3, label=f"plain from ‖w‖={r:g}")
        axes[0].plot(*md[r].T, ".--", color=color, ms=3, alpha=0.6, label=f"MD on ‖w‖={r:g}")
        axes[1].plot(k[1:], rotation_per_step(plain[r]), color=color)
        axes[1].plot(k[1:], rotation_per_step(md[r]), "--", color=color)
        axes[1].plot(k[1:], np.arctan(ETA / np.sqrt(r**2 + k[:-1] * ETA**2)), ":",
                     color=style.THEORY_COLOR)
        axes[2].plot(k, np.linalg.norm(plain[r], axis=1), color=color)
        axes[2].plot(k, np.linalg.norm(md[r], axis=1), "--", color=color)
        axes[2].plot(k, np.sqrt(r**2 + k * ETA**2), ":", color=style.THEORY_COLOR)
    axes[1].axhline(np.arctan(ETA), ls=":", color=style.THEORY_COLOR, label="atan(lr)")
    axes[0].set_aspect("equal")
    axes[0].legend(fontsize=7, loc="lower left")
    axes[0].set_title(f"loss 1−cos(∠w−{TARGET:g}) (shade); steps of η={ETA:g}", fontsize=9)
    axes[1].set_title("rotation per step (dotted: atan(η/‖w‖), atan(lr))", fontsize=9)
    axes[1].legend(fontsize=7)
    axes[2].set_title("‖w‖ (dotted: √(r²+kη²))", fontsize=9)
    for ax in axes[1:]:
        ax.set_xlabel("step")
    fig.suptitle(style.title(PAPER, "2", scale, "toy scale-invariant loss"), fontsize=10)
    measured = {"errors": err, "first_step_rotation": {str(r): v for r, v in first.items()}}
    return style.finish(fig, f"kosson2026-figure-2_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.04)
