"""Chou et al. 2025, Figure 11: Stress test, α linear 0.01 → 1 on top of cosine γ: ScionC's
adaptive λ_t keeps ‖w‖ and ‖g‖ stable, λ ∝ γ alone lets them swing (‖g‖ judged against the
constant-α baseline's swing, see STABLE_SWING); top-1 of the ScionC run rises early but ends
below the baseline, the λ ∝ γ run ends above it.
"""

from __future__ import annotations

import pandas as pd

from analysis import style
from analysis.corrected import ema
from analysis.momentum import (
    draw_momentum,
    final_top1,
    momentum_groups,
    schedule_claim,
    top1_gap,
)
from analysis.style import all_finite, verdict

QUOTE = ("App. C.3: “the top-1 val. accuracy rises early at the beginning but soon plateaus while "
         "the weight and gradient norms are kept stable with ScionC. γ scheduling alone is "
         "insufficient to keep weight and gradient norms stable, so they end up swinging "
         "drastically for Experiment 3. Interestingly, it eventually converges to higher "
         "accuracy” / Fig. 11 caption: “Properly scaled and adaptive weight decay results in "
         "stable weight and gradient norms, while the learning rate scaling λ∝γ alone turns out "
         "to be insufficient.”")

EARLY = 0.25  # Fig. 11 "rises early at the beginning": evals in the first quarter

# Fig. 11, post-warmup max/min (swing) of the EMA'd norms. ‖w‖ is judged on its own: ScionC
# holds ‖w‖² at C²‖u‖² by design. ‖g‖ is judged against the constant-α baseline's swing,
# since ‖g‖ falls with the train loss whatever the optimizer (on mnist5k, towards 0).
STABLE_SWING = 1.5  # "stable": ‖w‖ swing ≤ 1.5 and ‖g‖ swing ≤ 1.5× the baseline's

DRASTIC_SWING = 3.0  # "insufficient" (swinging drastically): ‖w‖ ≥ 3 or ‖g‖ ≥ 3× the baseline's


def swing(series: pd.Series, start: int) -> float:
    """max/min of a series (EMA-smoothed over ~2 % of it) from step `start` on; NaN if it is
    not finite anywhere there (a run that diverged is not judged on its finite part)."""
    smooth = ema(series, max(len(series) // 50, 1))
    smooth = smooth[smooth.index >= start]
    if not len(smooth) or not all_finite(smooth):
        return float("nan")
    return float(smooth.max() / smooth.min())


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Stress test, α linear 0.01 → 1 on top of cosine γ: ScionC's adaptive λ_t keeps ‖w‖ and
    ‖g‖ stable, λ ∝ γ alone lets them swing (‖g‖ judged against the constant-α baseline's
    swing, see STABLE_SWING); top-1 of the ScionC run rises early but ends
    below the baseline, the λ ∝ γ run ends above it."""
    base, groups = momentum_groups(sweep_file, scale, results)
    linear = [g for g in groups if g["config"].get("momentum_schedule") == "linear"]
    adaptive = [g for g in linear if g["config"].get("scionc_decay", "adaptive") == "adaptive"]
    proportional = [g for g in linear if g not in adaptive]
    if not adaptive or not proportional:
        raise ValueError(f"{sweep_file}: figure 11 needs linear-α runs with scionc_decay "
                         "adaptive and lr_proportional")
    scionc, alone = adaptive[0], proportional[0]
    shown, verdicts, measured = {}, [], {"final_top1": {g["label"]: final_top1(g)
                                                        for g in [base, *groups]}}
    schedule_claim(groups, shown, verdicts, measured)
    swings = {g["label"]: {k: swing(g["norms"][k], g["warmup"])
                           for k in ("weight_norm", "grad_norm")} for g in [base, *groups]}
    measured["post_warmup_swing"] = swings
    base_g = swings[base["label"]]["grad_norm"]
    # ‖w‖ swing as such, ‖g‖ swing over the baseline's (NaN anywhere: both claims fail)
    s, a = ([swings[g["label"]]["weight_norm"], swings[g["label"]]["grad_norm"] / base_g]
            for g in (scionc, alone))
    measured["grad_swing_over_baseline"] = {"scionc": s[1], "lr_proportional": a[1]}
    shown["scionc_keeps_norms_stable"] = all_finite(s) and max(s) <= STABLE_SWING
    verdicts.append(verdict(shown["scionc_keeps_norms_stable"], f"ScionC λ_t: post-warmup "
                            f"max/min ‖w‖ {s[0]:.2f} (≤ {STABLE_SWING:g}), ‖g‖ {s[1]:.2f}× the "
                            f"baseline's (≤ {STABLE_SWING:g}×)"))
    shown["lr_proportional_alone_swings"] = all_finite(a) and max(a) >= DRASTIC_SWING
    verdicts.append(verdict(shown["lr_proportional_alone_swings"], f"λ ∝ γ alone: post-warmup "
                            f"max/min ‖w‖ {a[0]:.2f}, ‖g‖ {a[1]:.2f}× the baseline's (either "
                            f"≥ {DRASTIC_SWING:g})"))
    early = top1_gap(scionc, base, 0.0, EARLY)
    end_gap = final_top1(scionc) - final_top1(base)
    measured.update(scionc_early_top1_gap=early, scionc_final_top1_gap=end_gap)
    shown["scionc_rises_early_then_plateaus"] = bool(early > 0 and end_gap < 0)
    verdicts.append(verdict(shown["scionc_rises_early_then_plateaus"], "ScionC λ_t top-1 − "
                            f"baseline: first {EARLY:.0%} {100 * early:+.2f}, final "
                            f"{100 * end_gap:+.2f} points (> 0, then < 0)"))
    shown["lr_proportional_ends_higher"] = final_top1(alone) > final_top1(scionc)
    verdicts.append(verdict(shown["lr_proportional_ends_higher"], f"final top-1: λ ∝ γ alone "
                            f"{100 * final_top1(alone):.2f} vs ScionC λ_t "
                            f"{100 * final_top1(scionc):.2f} (higher)"))
    fig = draw_momentum(base, groups, scale, "11", "stress test: α linear 0.01 → 1")
    return style.finish(fig, f"chou2025-figure-11_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.01)
