"""Defazio et al. 2025, Figure 1: The gradient-norm uptick of AdamW + cosine (Fig. 1), from Fig.
4's runs: the smoothed ‖g‖ at the end against its minimum after burn-in (10 % of the run); AdamC
beside it. Premise: the models learn early (corrected.learning_ratio < LEARNS_BY).
"""

from __future__ import annotations

from analysis import style
from analysis.corrected import LEARNS_BY, learning_ratio
from analysis.equilibrium import norms_over_time
from analysis.load import load_runs
from analysis.seeds import best_per_optimizer, seed_mean
from analysis.style import verdict

PAPER = "Defazio et al. 2025"
SWEEP = "defazio2025-figure-4"  # the sweep it draws from
QUOTE = ("Fig. 1 caption: “A 120M parameter LLM training run on FineWeb-Edu, showing the behavior "
         "where the gradient norm more than doubles towards the end of training.” / §6: “The "
         "correction largely removes the increase in the gradient norm during the second half of "
         "training.”")


UPTICK_FACTOR = 2.0  # "the gradient norm more than doubles": > 2× its post-burn-in minimum


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """The gradient-norm uptick of AdamW + cosine (Fig. 1), from Fig. 4's runs: the smoothed
    ‖g‖ at the end against its minimum after burn-in (10 % of the run); AdamC beside it."""
    best = best_per_optimizer(load_runs(sweep_file, scale, results))
    if "adamw" not in best:
        raise ValueError(f"figure 1 needs adamw runs in {sweep_file}")
    fig, ax = style.plt.subplots(figsize=(6.5, 4.2))
    uptick = {}
    for name, color in (("adamw", "#1f77b4"), ("adamc", "#d62728")):
        if name not in best:
            continue
        grad = seed_mean([norms_over_time(r["layers"]) for r in best[name]])["grad_norm"]
        smooth = grad.ewm(span=max(len(grad) // 50, 1)).mean()
        after_burn_in = smooth[smooth.index >= 0.1 * smooth.index.max()]
        end = smooth[smooth.index >= 0.97 * smooth.index.max()].mean()
        uptick[name] = float(end / after_burn_in.min())
        ax.plot(smooth.index, smooth, color=color, label=f"{name.upper()}: end/min "
                f"{uptick[name]:.2f}×")
    ax.set_xlabel("step")
    ax.set_ylabel("‖g‖ (EMA)")
    ax.legend()
    shown = {"adamw_grad_norm_rises_at_the_end": uptick["adamw"] > UPTICK_FACTOR}
    verdicts = [verdict(shown["adamw_grad_norm_rises_at_the_end"],
                        f"AdamW smoothed ‖g‖ end / post-burn-in min = {uptick['adamw']:.2f}× "
                        f"(> {UPTICK_FACTOR})")]
    if "adamc" in uptick:
        shown["adamc_rises_less"] = uptick["adamc"] < uptick["adamw"]
        verdicts.append(verdict(shown["adamc_rises_less"], f"AdamC: {uptick['adamc']:.2f}× "
                                f"(< AdamW's {uptick['adamw']:.2f}×)"))
    # Premise: an uptick of a model that does not train is not the paper's (Fig. 4's premise).
    learned = {name: learning_ratio(best[name]) for name in uptick}
    premises = {"learns_early": all(v < LEARNS_BY for v in learned.values())}
    verdicts.insert(0, style.premise(premises["learns_early"], "train loss at 20 % / at the "
                                     "start: " + ", ".join(f"{k.upper()} {v:.2f}" for k, v in
                                                           learned.items())
                                     + f" (< {LEARNS_BY})"))
    fig.suptitle(style.title(PAPER, "1", scale, "gradient norm near the end of training"),
                 fontsize=10)
    return style.finish(fig, f"defazio2025-figure-1_{scale}", verdicts, shown,
                        {"end_over_min": uptick, "train_loss_at_20pct_over_start": learned},
                        out_dir, text_y=-0.04, premises=premises)
