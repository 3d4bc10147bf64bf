"""Defazio et al. 2025, Figure 5: SGD vs SGDC on a ResNet: SGDC eliminates the rapid rise of the
gradient norm at the end of training, while the slow rise over time remains.
"""

from __future__ import annotations

from analysis import style
from analysis.corrected import LEARNS_BY, draw_side, ema, learning_ratio, window_mean
from analysis.equilibrium import norms_over_time
from analysis.load import load_runs
from analysis.seeds import best_per_optimizer, seed_mean

PAPER = "Defazio et al. 2025"
QUOTE = ("§6 (Fig. 5): “For ImageNet training, the gradient norm shows an overall linear upward "
         "trend over time which is separate from the uptick explained by our theory. When "
         "applying SGDC, the rapid increase at the end of training is eliminated, but the slow "
         "increase over time remains.” / §1: “corrected versions of Adam (AdamC) and SGD (SGDC) "
         "improve over the base optimizers.”")

# Thresholds fixed before the runs. The end rise: the smoothed ‖g‖ over the last 3 % against
# its mean over 80–85 % of the run; the slow rise: 70–75 % against 20–25 %.
END_RISE = 0.10  # SGD's ‖g‖ rises > 10 % at the end (the uptick the theory explains)
ELIMINATED = 1 / 3  # SGDC's end rise is below a third of SGD's (or none)


def rises(group: list[dict]) -> dict:
    """The seed-averaged, EMA-smoothed ‖g‖'s end rise and slow rise (NaN if not finite)."""
    norms = seed_mean([norms_over_time(r["layers"]) for r in group])
    grad, weight = norms["grad_norm"], norms["weight_norm"]
    smooth = ema(grad, max(len(grad) // 50, 1))
    if not style.all_finite(smooth):
        return {"end": float("nan"), "slow": float("nan")}
    scale_free = ema(grad * weight, max(len(grad) // 50, 1))  # ‖g‖ at unit ‖w‖: set by the fit
    return {"end": window_mean(smooth, 0.97, 1.0) / window_mean(smooth, 0.80, 0.85) - 1,
            "slow": window_mean(smooth, 0.70, 0.75) / window_mean(smooth, 0.20, 0.25) - 1,
            "end_weight": window_mean(weight, 0.97, 1.0) / window_mean(weight, 0.80, 0.85) - 1,
            "end_scale_free": window_mean(scale_free, 0.97, 1.0)
            / window_mean(scale_free, 0.80, 0.85) - 1}



def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """SGD vs SGDC: SGD's ‖g‖ rises at the end, SGDC's end rise is eliminated, SGDC's slow
    rise remains, and SGDC's loss is no worse; the weight norms are drawn, not judged."""
    best = best_per_optimizer(load_runs(sweep_file, scale, results))
    if {"sgd", "sgdc"} - set(best):
        raise ValueError(f"figure 5 needs sgd and sgdc runs; got {sorted(best)}")
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 4))
    changes, finals, grad = {}, {}, {}
    for name, color in (("sgd", "#1f77b4"), ("sgdc", "#d62728")):
        changes[name], finals[name], _ = draw_side(axes, name, best[name], color)
        grad[name] = rises(best[name])
    for ax, what in zip(axes, ("train loss (EMA)", "‖g‖ (EMA)", "‖w‖ of normalized layers")):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend()
    sgd, sgdc = grad["sgd"], grad["sgdc"]
    shown = {"sgd_grad_norm_rises_at_the_end": sgd["end"] > END_RISE,
             "sgdc_end_rise_eliminated": sgdc["end"] < ELIMINATED * sgd["end"],
             "sgdc_slow_rise_remains": sgdc["slow"] > 0,
             "sgdc_loss_not_worse": finals["sgdc"] <= finals["sgd"]}
    verdicts = style.verdict_lines(shown, {
        "sgd_grad_norm_rises_at_the_end": f"SGD ‖g‖ over the last 3 % vs 80–85 %: "
                                          f"{sgd['end']:+.0%} (rises > {END_RISE:.0%})",
        "sgdc_end_rise_eliminated": f"SGDC's end rise {sgdc['end']:+.0%} "
                                    f"(< {ELIMINATED:.2g}× SGD's)",
        "sgdc_slow_rise_remains": f"SGDC ‖g‖ 70–75 % vs 20–25 %: {sgdc['slow']:+.0%} (rises)",
        "sgdc_loss_not_worse": f"final train loss: SGD {finals['sgd']:.4f}, "
                               f"SGDC {finals['sgdc']:.4f}"})
    if not shown["sgd_grad_norm_rises_at_the_end"] and style.all_finite(list(sgd.values())):
        # ‖g‖ = (‖g‖·‖w‖) / ‖w‖ on scale-invariant layers: say which factor held it down
        verdicts.append(style.cause(
            f"over the same windows SGD's ‖w‖ moves {sgd['end_weight']:+.0%} (‖g‖ ∝ 1/‖w‖ "
            f"there) and ‖g‖·‖w‖, the gradient at unit scale that the fit sets, "
            f"{sgd['end_scale_free']:+.0%}"))
    learned = {name: learning_ratio(best[name]) for name in ("sgd", "sgdc")}
    premises = {"learns_early": all(v < LEARNS_BY for v in learned.values())}
    verdicts.insert(0, style.premise(premises["learns_early"], f"train loss at 20 % / at the "
                                     f"start: SGD {learned['sgd']:.2f}, SGDC "
                                     f"{learned['sgdc']:.2f} (< {LEARNS_BY})"))
    cfg = best["sgd"][0]["config"]
    fig.suptitle(style.title(PAPER, "5", scale, f"SGD vs SGDC, {cfg['model']}-{cfg['depth']}"
                             f"×{cfg['width']} on {cfg['dataset']}, λ {cfg['weight_decay']}"),
                 fontsize=10)
    measured = {"grad_norm_rises": grad, "weight_changes_second_half": changes,
                "final_train_loss": finals, "train_loss_at_20pct_over_start": learned}
    return style.finish(fig, f"defazio2025-figure-5_{scale}", verdicts, shown, measured,
                        out_dir, text_y=-0.12, premises=premises)
