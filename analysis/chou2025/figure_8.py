"""Chou et al. 2025, Figure 8: AdamC with β1 = β2 = 0.99 vs (0.9, 0.999): the weight norm should
barely move.

Premises, for both settings: the model learns early, its ‖w‖ is at steady state (App. B's
claim is about the "steady-state norm"): AdamC has no closed form here, so ‖w‖ changes by
less than equilibrium.STEADY across equilibrium.SETTLING; and decay forgets slowly beside the
momentum's correlation time, which the prediction rests on (FORGETS_SLOWER).
"""

from __future__ import annotations

import numpy as np

from analysis import style
from analysis.corrected import window_mean
from analysis.equilibrium import SETTLING, nan_sum, norm_parts
from analysis.load import load_runs
from analysis.momentum import equilibrium_premises
from analysis.seeds import seed_groups
from analysis.style import verdict

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 8 caption: “Changing the beta values has almost no effects on the weight norm.” / "
         "App. B: “As predicted, changing betas has no effect on the weight decay and "
         "steady-state norm.”")

# Fig. 8, "changing the beta values has almost no effects on the weight norm": the two ‖w‖
# curves stay within 10 % of each other after the first 10 % of the run.
BETAS_NORM_TOLERANCE = 0.10

BETAS_SKIP = 0.10

# App. B's "as predicted" rests on §2.2's total update contribution (Kosson et al. 2024): a
# gradient's share of the momentum is fully applied before decay forgets it, i.e. the decay
# rate η = γλ is small beside 1/τ, τ = (1+β1)/(1−β1) the momentum's correlation time. With
# noise-dominated steps the steady ‖w‖² then falls by 1/(1 + ητ/2): at ητ ≤ 0.1, ≤ 2.5 % in
# ‖w‖, well inside BETAS_NORM_TOLERANCE. The paper's β1 = 0.99 run: 1e-3·0.2·199 = 0.04.
FORGETS_SLOWER = 0.1


def momentum_premise(groups: dict[str, list[dict]]) -> tuple[bool, str, dict]:
    """Whether every run's peak decay rate γλ times its momentum's correlation time is at
    most FORGETS_SLOWER (AdamC: λ_t = λ·γ_t/γ_max, so the peak is at γ_max)."""
    products = {}
    for name, runs in groups.items():
        config = runs[0]["config"]
        beta1 = config["momentum"]
        products[name] = config["lr"] * config["weight_decay"] * (1 + beta1) / (1 - beta1)
    met = all(v <= FORGETS_SLOWER for v in products.values())
    line = style.premise(met, "decay slow beside momentum, peak γλ·(1+β1)/(1−β1): " + ", ".join(
        f"{k} {v:.3g}" for k, v in products.items()) + f" (≤ {FORGETS_SLOWER:g})")
    return met, line, products


def update_size(runs: list[dict]) -> float:
    """The normalized layers' step per unit lr, ‖Δw‖/γ_t (the logged update: decay
    included), averaged over SETTLING and the seeds. Betas that leave the steady norm alone
    leave this alone too; where the gradient is mostly noise β1 shrinks it (m/√v has RMS
    √((1−β1)/(1+β1)) for pure noise)."""
    sizes = []
    for run in runs:
        layers = run["layers"][run["layers"]["normalized"]]
        update = np.sqrt(nan_sum(layers.assign(u2=layers["update_norm"] ** 2), "u2"))
        per_lr = update / run["metrics"].set_index("step")["lr"].reindex(update.index)
        sizes.append(window_mean(per_lr, *SETTLING))
    return float(np.mean(sizes))


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamC with β1 = β2 = 0.99 vs (0.9, 0.999): the weight norm should barely move."""
    curves = seed_groups(load_runs(sweep_file, scale, results),
                         lambda c: f"β1={c['momentum']:g}, β2={c['beta2']:g}", norm_parts)
    if len(curves) != 2:
        raise ValueError(f"figure 8 needs two (β1, β2) settings; got {sorted(curves)}")
    (name_a, a), (name_b, b) = sorted(curves.items())
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 4))
    for (name, c), color in zip(((name_a, a), (name_b, b)), ("#1f77b4", "#d62728")):
        span = max(len(c["metrics"]) // 50, 1)
        axes[0].plot(c["metrics"].index, c["metrics"]["loss"].ewm(span=span).mean(),
                     color=color, label=f"AdamC {name} ({c['seeds']} seed(s))")
        axes[1].plot(c["norms"].index, c["norms"]["hidden"], color=color)
    ratio = a["norms"]["hidden"] / b["norms"]["hidden"]
    # From BETAS_SKIP of the whole run on, NaN included: a run that diverged mid-way fails
    # rather than being judged on its finite prefix.
    late = ratio[ratio.index >= BETAS_SKIP * ratio.index.max()]
    losses = [c["metrics"]["loss"] for c in (a, b)]
    finite = style.all_finite(late, *(x[x.index >= BETAS_SKIP * x.index.max()] for x in losses))
    worst = float((late - 1).abs().max()) if finite and len(late) else float("nan")
    axes[2].plot(ratio.index, ratio, color="black")
    axes[2].axhspan(1 - BETAS_NORM_TOLERANCE, 1 + BETAS_NORM_TOLERANCE, color="0.9")
    for ax, what in zip(axes, ("train loss (EMA)", "‖w‖ of normalized layers",
                               f"‖w‖ ratio ({name_a}) / ({name_b})")):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend(fontsize=8)
    shown = {"weight_norm_independent_of_betas": worst < BETAS_NORM_TOLERANCE}
    groups = {n: c["runs"] for n, c in curves.items()}
    premises, verdicts, numbers = equilibrium_premises(groups)
    premises["decay_slow_beside_momentum"], line, numbers["decay_times_momentum_time"] = \
        momentum_premise(groups)
    verdicts.append(line)
    verdicts.append(verdict(shown["weight_norm_independent_of_betas"], f"‖w‖ ratio after "
                            f"{BETAS_SKIP:.0%} of the run: worst |ratio−1| = {worst:.3f} "
                            f"(< {BETAS_NORM_TOLERANCE})"))
    failed = not shown["weight_norm_independent_of_betas"]
    logged = all("update_norm" in r["layers"] for c in (a, b) for r in c["runs"])
    size_ratio = (update_size(a["runs"]) / update_size(b["runs"]) if failed and logged
                  else float("nan"))
    if abs(size_ratio - 1) > BETAS_NORM_TOLERANCE:  # False on NaN (shown, or no update norms)
        norm_ratio = (window_mean(a["norms"]["hidden"], *SETTLING)
                      / window_mean(b["norms"]["hidden"], *SETTLING))
        verdicts.append(style.cause(
            f"over {SETTLING[0]:.0%}–{SETTLING[1]:.0%} ‖w‖ ({name_a}) / ({name_b}) = "
            f"{norm_ratio:.2f}, and the betas change the step itself: ‖Δw‖/γ_t (decay "
            f"included) differs {max(size_ratio, 1 / size_ratio):.2f}× between them (m/√v's "
            "RMS falls with β1 where the gradient is mostly noise; the steps' total "
            "contribution stays the same only while decay forgets slower than the momentum "
            "correlates, the last premise)"))
        numbers["settling_norm_and_update_ratios"] = [norm_ratio, size_ratio]
    finals = {n: float(c["metrics"]["loss"].iloc[-max(len(c["metrics"]) // 20, 1):].mean())
              for n, c in curves.items()}
    fig.suptitle(style.title(PAPER, "8", scale, "AdamC's weight norm does not depend on its "
                             "betas"), fontsize=10)
    measured = {"worst_ratio_deviation": worst, "final_train_loss": finals, **numbers}
    return style.finish(fig, f"chou2025-figure-8_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.08, premises=premises)
