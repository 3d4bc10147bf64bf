"""Chou et al. 2025, Figure 3: Cosine lr decay vs momentum scheduling that matches its γ_eff: same
final top-1 up to α_max = 0.5; α_max = 1 falls behind, its ‖w‖ departing most from the
baseline's.
"""

from __future__ import annotations

from analysis import style
from analysis.momentum import (
    SAME_TOP1,
    alpha_max,
    draw_momentum,
    final_top1,
    momentum_start,
    same_final_claim,
)
from analysis.style import all_finite, verdict

QUOTE = ("Fig. 3 caption: “For the momentum scheduling experiments α increases from … s.t. the "
         "effective learning rate γeff matches that of the cosine learning rate baseline until "
         "αmax is reached. The models converge to the same top-1 val. accuracy up till αmax=0.5 "
         "where the weight norm approximation starts to break down.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Cosine lr decay vs momentum scheduling that matches its γ_eff: same final top-1 up to
    α_max = 0.5; α_max = 1 falls behind, its ‖w‖ departing most from the baseline's."""
    base, groups, shown, verdicts, measured = momentum_start(sweep_file, scale, results)
    same_final_claim(base, groups, shown, verdicts, measured)
    top = [g for g in groups if alpha_max(g) >= 1.0 - 1e-9]
    behind = {g["label"]: final_top1(base) - final_top1(g) for g in top}
    shown["alpha_max_1_falls_behind"] = bool(top) and all(v > SAME_TOP1 for v in behind.values())
    verdicts.append(verdict(shown["alpha_max_1_falls_behind"], "α_max = 1: final top-1 "
                            f"{', '.join(f'{-100 * v:+.2f}' for v in behind.values()) or 'n/a'}"
                            f" points vs baseline (below by > {100 * SAME_TOP1:g})"))
    end_w = float(base["norms"]["weight_norm"].iloc[-1])
    departs = {g["label"]: abs(float(g["norms"]["weight_norm"].iloc[-1]) / end_w - 1)
               for g in groups}
    measured["final_weight_norm_departure"] = departs
    lower = [departs[g["label"]] for g in groups if alpha_max(g) < 1.0 - 1e-9]
    shown["weight_norm_departs_most_at_alpha_max_1"] = bool(top and lower) and all_finite(
        list(departs.values())) and min(departs[g["label"]] for g in top) > max(lower)
    verdicts.append(verdict(shown["weight_norm_departs_most_at_alpha_max_1"], "final ‖w‖ vs "
                            "baseline: " + ", ".join(f"{k}: {v:+.1%}" for k, v in
                                                     departs.items())
                            + " (α_max = 1 departs most)"))
    fig = draw_momentum(base, groups, scale, "3", "momentum scheduling instead of cosine γ decay")
    return style.finish(fig, f"chou2025-figure-3_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.01)
