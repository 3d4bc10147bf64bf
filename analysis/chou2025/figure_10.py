"""Chou et al. 2025, Figure 10: The erroneous schedule from α = 0.02 (γ set so γ'_eff equals the α
= 0.1 baseline's): the correct γ_eff starts too low, the runs underperform, and the delayed
decay helps at the end (the final gap to the baseline is smaller than the mid-run gap).

Premises (on the cosine baseline): it learns early, and its ‖w‖ is at Chou §2.2's equilibrium
before the decay.
"""

from __future__ import annotations

from analysis import style
from analysis.momentum import (
    draw_momentum,
    final_top1,
    gamma_eff_ratio,
    mid_run_claim,
    momentum_start,
)
from analysis.style import verdict

QUOTE = ("App. C.2: “the correct effective learning rate is too low and the models underperform.” "
         "/ Fig. 10 caption: “The correct effective learning rate is too low for these "
         "experiments and delayed decay ends up beneficial.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """The erroneous schedule from α = 0.02 (γ set so γ'_eff equals the α = 0.1 baseline's):
    the correct γ_eff starts too low, the runs underperform, and the delayed decay helps at
    the end (the final gap to the baseline is smaller than the mid-run gap)."""
    base, groups, shown, verdicts, measured, premises = momentum_start(sweep_file, scale,
                                                                      results)
    ratios = {g["label"]: gamma_eff_ratio(g, base, 0.0, 0.25) for g in groups}
    measured["early_gamma_eff_over_baseline"] = ratios
    shown["gamma_eff_too_low"] = bool(ratios) and all(v < 1 for v in ratios.values())
    verdicts.append(verdict(shown["gamma_eff_too_low"], "median γ_eff / baseline's over the "
                            "first post-warmup quarter: "
                            + ", ".join(f"{v:.2f}" for v in ratios.values()) + " (< 1)"))
    mid = mid_run_claim(base, groups, shown, verdicts, measured, "underperform_mid_run")
    final = {g["label"]: final_top1(g) - final_top1(base) for g in groups}
    measured["final_top1_gap"] = final
    shown["underperform_at_the_end"] = bool(final) and all(v < 0 for v in final.values())
    verdicts.append(verdict(shown["underperform_at_the_end"], "final top-1 − baseline "
                            "(points): " + ", ".join(f"{100 * v:+.2f}" for v in final.values())
                            + " (< 0)"))
    shown["delayed_decay_recovers"] = bool(final) and all(
        final[k] > mid[k] for k in final)
    verdicts.append(verdict(shown["delayed_decay_recovers"], "final gap smaller than the "
                            "mid-run gap for every run (delayed decay ends up beneficial)"))
    fig = draw_momentum(base, groups, scale, "10", "γ'_eff matching from α = 0.02")
    return style.finish(fig, f"chou2025-figure-10_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.01, premises=premises)
