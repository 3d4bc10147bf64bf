"""Chou et al. 2025, Figure 9: Momentum scheduling that matches γ'_eff = γ(2−α)/α instead: the
correct γ_eff decays later than the cosine baseline's, and top-1 stays lower until the very end.

The caption says nothing of the final top-1: it is reported, not judged.

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

QUOTE = ("Fig. 9 caption: “Training a ViT-S/16 with momentum scheduling that erroneously matches "
         "… of the cosine learning rate baseline. Delayed decay of the correct effective learning "
         "rate … results in lower top-1 val. accuracy until the very end.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Matching γ'_eff = γ(2−α)/α instead: the correct γ_eff decays later than the cosine
    baseline's, and top-1 stays lower until the very end."""
    base, groups, shown, verdicts, measured, premises = momentum_start(sweep_file, scale,
                                                                      results)
    ratios = {g["label"]: gamma_eff_ratio(g, base, 0.25, 0.75) for g in groups}
    measured["mid_gamma_eff_over_baseline"] = ratios
    shown["gamma_eff_decays_later"] = bool(ratios) and all(v > 1 for v in ratios.values())
    verdicts.append(verdict(shown["gamma_eff_decays_later"], "median γ_eff / baseline's over "
                            "the middle half: " + ", ".join(f"{v:.2f}" for v in ratios.values())
                            + " (> 1)"))
    mid_run_claim(base, groups, shown, verdicts, measured, "lower_top1_until_the_end")
    measured["final_top1_gap"] = {g["label"]: final_top1(g) - final_top1(base) for g in groups}
    fig = draw_momentum(base, groups, scale, "9", "momentum scheduling matching γ'_eff = γ(2−α)/α")
    return style.finish(fig, f"chou2025-figure-9_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.01, premises=premises)
