"""Chou et al. 2025, Figure 1: Renormalized AdamW (Alg. 1) and AdamW on a ViT give the same
accuracy, weight norm and gradient norm; the weight norm is suppressed at the end of the cosine
decay.

The caption: "Training a ViT-S/16 with “Renormalized” AdamW results in negligible differences
in top-1 val. accuracy (77.15 vs. 77.45 for the γ=0.001, λ=0.1 AdamW baseline), weight norm,
and gradient norm throughout the training process. Notice the suppression of weight norm
towards the end of the cosine learning rate decay, characteristic of AdamW." Renormalized
AdamW is a probe (only the radial part of the update may change the norm), not a corrected
optimizer: the claim is an equivalence, not that one keeps its norm.
"""

from __future__ import annotations

import numpy as np

from analysis import style
from analysis.equilibrium import norms_over_time
from analysis.load import load_runs
from analysis.seeds import best_per_optimizer, seed_mean
from analysis.style import premise

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 1: “negligible differences in top-1 val. accuracy …, weight norm, and gradient "
         "norm throughout the training process. Notice the suppression of weight norm towards "
         "the end of the cosine learning rate decay, characteristic of AdamW.”")

# Thresholds fixed before the runs. Premise: a norm claim needs a model that learns, so the
# train loss must be below LEARNS_BY of chance's ln 10 = 2.30 at 20 % of the run.
LEARNS_BY = 1.5
ACCURACY_GAP = 0.05  # ~2.5 binomial standard errors of a difference on 500 eval digits
NORM_GAP = 0.15  # 90th percentile of |‖w‖_renorm / ‖w‖_adamw − 1| after the first 10 %
GRAD_GAP = 0.30  # the same for the EMA of ‖g‖ (noisier than ‖w‖)
SUPPRESSION = 0.05  # AdamW's ‖w‖ falls by more than this over the second half


def _curves(group: list[dict]) -> dict:
    metrics = seed_mean([r["metrics"].set_index("step") for r in group])
    norms = seed_mean([norms_over_time(r["layers"]) for r in group])
    span = max(len(metrics) // 50, 1)
    accuracy = metrics["eval_accuracy"].dropna()
    return {"loss": metrics["loss"].ewm(span=span).mean(),
            "grad": norms["grad_norm"].ewm(span=span).mean(), "weight": norms["weight_norm"],
            "accuracy": float(accuracy.iloc[-1]) if len(accuracy) else float("nan")}


def _late_gap(a, b, skip: float = 0.1) -> float:
    """90th percentile of |b/a − 1| after the first `skip` of the run (inf if not finite)."""
    ratio = (b / a - 1).abs()
    late = ratio[ratio.index >= skip * ratio.index.max()]
    return float(np.quantile(late, 0.9)) if style.all_finite(late) else float("inf")


def _at(series, fraction: float) -> float:
    last = series.index.max()
    return float(series[(series.index >= (fraction - 0.02) * last)
                        & (series.index <= (fraction + 0.02) * last)].mean())


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs Renormalized AdamW: the same accuracy, ‖w‖ and ‖g‖; AdamW's ‖w‖ suppressed
    at the end of the cosine decay."""
    best = best_per_optimizer(load_runs(sweep_file, scale, results))
    if {"adamw", "renormalized_adamw"} - set(best):
        raise ValueError(f"figure 1 needs adamw and renormalized_adamw runs; got {sorted(best)}")
    base, renorm = _curves(best["adamw"]), _curves(best["renormalized_adamw"])
    learned = {name: _at(c["loss"], 0.2) for name, c in (("adamw", base), ("renorm", renorm))}
    gaps = {"accuracy": abs(base["accuracy"] - renorm["accuracy"]),
            "weight": _late_gap(base["weight"], renorm["weight"]),
            "grad": _late_gap(base["grad"], renorm["grad"])}
    fall = 1 - _at(base["weight"], 1.0) / _at(base["weight"], 0.5)
    premises = {"learns_early": all(v < LEARNS_BY for v in learned.values())}
    shown = {"accuracy_negligible_difference": gaps["accuracy"] <= ACCURACY_GAP,
             "weight_norm_negligible_difference": gaps["weight"] <= NORM_GAP,
             "grad_norm_negligible_difference": gaps["grad"] <= GRAD_GAP,
             "adamw_weight_norm_suppressed_at_end": fall > SUPPRESSION}
    verdicts = [premise(premises["learns_early"], "train loss at 20 %: AdamW {adamw:.2f}, "
                        "Renormalized {renorm:.2f} (< {limit})".format(**learned, limit=LEARNS_BY))]
    verdicts += style.verdict_lines(shown, {
        "accuracy_negligible_difference": f"final eval accuracy: AdamW {base['accuracy']:.3f}, "
                                          f"Renormalized {renorm['accuracy']:.3f} "
                                          f"(gap ≤ {ACCURACY_GAP})",
        "weight_norm_negligible_difference": f"‖w‖ agree: 90th pct gap {gaps['weight']:.1%} "
                                             f"after 10 % (≤ {NORM_GAP:.0%})",
        "grad_norm_negligible_difference": f"‖g‖ agree: 90th pct gap {gaps['grad']:.1%} after "
                                           f"10 % (≤ {GRAD_GAP:.0%})",
        "adamw_weight_norm_suppressed_at_end": f"AdamW ‖w‖ over the 2nd half: {-fall:+.1%} "
                                               f"(falls > {SUPPRESSION:.0%})"})
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 4))
    for (name, c), color in zip((("AdamW", base), ("Renormalized AdamW", renorm)),
                                ("#1f77b4", "#d62728")):
        for ax, key in zip(axes, ("loss", "grad", "weight")):
            ax.plot(c[key].index, c[key], color=color, label=name if key == "loss" else None)
    for ax, what in zip(axes, ("train loss (EMA)", "‖g‖ (EMA)", "‖w‖ of normalized layers")):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend()
    fig.suptitle(style.title(PAPER, "1", scale, "Renormalized AdamW ≈ AdamW"), fontsize=10)
    measured = {"train_loss_at_20pct": learned, "gaps": gaps, "adamw_second_half_fall": fall,
                "final_eval_accuracy": {"adamw": base["accuracy"],
                                        "renormalized_adamw": renorm["accuracy"]}}
    return style.finish(fig, f"chou2025-figure-1_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.12, premises=premises)
