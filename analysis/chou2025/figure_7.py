"""Chou et al. 2025, Figure 7: Norm of θ against t/t½, constant vs cosine, every system scale on
one axis.

Premise: the simulated ‖θ‖ reached its steady state before the claims' windows (the last t½,
the end of the cosine): over equilibrium.NEAR_PEAK of each run its mean is within STEADY of
App. A's equilibrium √(nγ_t/(λ(2−γ_tλ))) at the logged γ_t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.equilibrium import NEAR_PEAK, STEADY, below_all, steady_gap
from analysis.load import load_runs
from analysis.style import verdict
from analysis.theory import steady_norm

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 7 caption: “so the expected … norm of the vector is … if we keep the learning rate "
         "constant (upper) as expected. If we apply cosine learning rate decay (lower), weight "
         "norm decreases towards the end.”")

FIG7_TOLERANCE = 0.05  # constant lr: final norm vs the steady state

FIG7_SHRINK = 0.7  # cosine: final norm below this fraction of its peak


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Norm of θ against t/t½, constant vs cosine, every system scale on one axis."""
    runs = load_runs(sweep_file, scale, results, tables=("norms",))
    fig, axes = style.plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    checks, gaps = {"constant": [], "cosine": []}, {}
    for run in runs:
        cfg, norms = run["config"], run["norms"]
        by_step = norms.set_index("step")
        theory = pd.Series([steady_norm(cfg["size"], lr, cfg["weight_decay"])
                            for lr in by_step["lr"]], index=by_step.index)
        gaps[f"{cfg['schedule']} γ={cfg['lr']:g} λ={cfg['weight_decay']:g}"] = steady_gap(
            by_step["norm"], theory)
        t_half = -np.log(2) / np.log1p(-cfg["lr"] * cfg["weight_decay"])
        x = norms["step"] / t_half
        ax = axes[0 if cfg["schedule"] == "constant" else 1]
        label = (f"γ={cfg['lr']:g}, λ={cfg['weight_decay']:g} "
                 f"(γλ={cfg['lr'] * cfg['weight_decay']:g})")
        ax.plot(x, norms["norm"], lw=1, label=label)
        ax.plot(x, norms["expected_norm"], color="black", lw=0.8, ls="--")
        last = norms[x >= x.max() - 1]["norm"].mean()  # the last half-life
        if cfg["schedule"] == "constant":
            target = steady_norm(cfg["size"], cfg["lr"], cfg["weight_decay"])
            checks["constant"].append(abs(last / target - 1))
        else:
            checks["cosine"].append(float(norms["norm"].iloc[-1] / norms["norm"].max()))
    for ax, what in zip(axes, ("constant lr", "0.5 t½ warmup + cosine")):
        ax.set_xlabel("t / t½")
        ax.set_title(what, fontsize=10)
    axes[0].set_ylabel("‖θ‖  (dashed: exact expectation)")
    axes[0].legend(fontsize=7)
    shown = {"constant_reaches_steady_state": bool(max(checks["constant"]) < FIG7_TOLERANCE),
             "cosine_shrinks_at_the_end": bool(max(checks["cosine"]) < FIG7_SHRINK)}
    checks = {k: [float(v) for v in vs] for k, vs in checks.items()}
    verdicts = [
        verdict(shown["constant_reaches_steady_state"], "constant: last-t½ ‖θ‖ vs "
                 f"√(nγ/(λ(2−γλ))): worst |ratio−1| = {max(checks['constant']):.3f} "
                 f"(< {FIG7_TOLERANCE})"),
        verdict(shown["cosine_shrinks_at_the_end"], "cosine: final/peak ‖θ‖ worst = "
                 f"{max(checks['cosine']):.2f} (< {FIG7_SHRINK})"),
    ]
    steady, steady_line = below_all(gaps, STEADY, "steady state before the claims' windows: "
                                    f"‖θ‖ vs √(nγ_t/(λ(2−γ_tλ))) over {NEAR_PEAK[0]:.0%}–"
                                    f"{NEAR_PEAK[1]:.0%} of the run", "{:.0%}")
    verdicts.insert(0, steady_line)
    fig.suptitle(style.title(PAPER, "7", scale, "weight decay against pure noise"), fontsize=10)
    return style.finish(fig, f"chou2025-figure-7_{scale}", verdicts, shown,
                        {**checks, "steady_state_gap": gaps}, out_dir, text_y=-0.05,
                        premises={"steady_state": steady})
