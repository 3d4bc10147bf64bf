"""Chou et al. 2025, Figure 11: Stress test, α linear 0.01 → 1 on top of cosine γ: ScionC's
adaptive λ_t keeps ‖w‖ and ‖g‖ stable, λ ∝ γ alone lets them swing; ScionC's top-1 rises early
but soon plateaus, and the λ ∝ γ run ends above it.

‖g‖ is judged against the constant-α baseline's swing (see STABLE_SWING). "Rises early": above
the baseline's top-1 in the first quarter; "soon plateaus": it gains ≤ SAME_TOP1 from the
second quarter to the end (App. C.3 does not say it ends below the baseline).

Premises (on the baseline and the ScionC run, whose "stable" norms presuppose it): each learns
early, and its ‖w‖ is at Chou §2.2's equilibrium before the decay (α_t included).
"""

from __future__ import annotations

import pandas as pd

from analysis import style
from analysis.corrected import ema
from analysis.momentum import (
    SAME_TOP1,
    draw_momentum,
    final_top1,
    momentum_groups,
    momentum_premises,
    schedule_claim,
    top1_gap,
    top1_series,
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
# "but soon plateaus": from the evals in the second quarter to the final one, top-1 gains no
# more than SAME_TOP1 (the momentum figures' "same top-1")
PLATEAU_FROM = (0.25, 0.5)

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


def plateau_gain(g: dict) -> float:
    """Final top-1 minus the mean of the evals in PLATEAU_FROM of the run (NaN without any,
    or for a diverged run)."""
    top1, final = top1_series(g), final_top1(g)
    window = top1[(top1.index >= PLATEAU_FROM[0] * g["total"])
                  & (top1.index < PLATEAU_FROM[1] * g["total"])]
    return final - float(window.mean()) if len(window) else float("nan")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Stress test, α linear 0.01 → 1 on top of cosine γ: ScionC's adaptive λ_t keeps ‖w‖ and
    ‖g‖ stable, λ ∝ γ alone lets them swing (‖g‖ judged against the constant-α baseline's
    swing, see STABLE_SWING); top-1 of the ScionC run rises early but soon plateaus, the
    λ ∝ γ run ends above the ScionC run."""
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
    premises = momentum_premises({"baseline": base, "ScionC λ_t": scionc}, verdicts, measured)
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
    gain = plateau_gain(scionc)
    measured.update(scionc_early_top1_gap=early, scionc_gain_after_first_quarter=gain,
                    scionc_final_top1_gap=final_top1(scionc) - final_top1(base))
    shown["scionc_rises_early_then_plateaus"] = bool(early > 0 and gain <= SAME_TOP1)
    verdicts.append(verdict(shown["scionc_rises_early_then_plateaus"], "ScionC λ_t: top-1 − "
                            f"baseline over the first {EARLY:.0%} {100 * early:+.2f} points (> 0);"
                            f" final top-1 − its mean over {PLATEAU_FROM[0]:.0%}–"
                            f"{PLATEAU_FROM[1]:.0%} {100 * gain:+.2f} (≤ {100 * SAME_TOP1:g})"))
    shown["lr_proportional_ends_higher"] = final_top1(alone) > final_top1(scionc)
    verdicts.append(verdict(shown["lr_proportional_ends_higher"], f"final top-1: λ ∝ γ alone "
                            f"{100 * final_top1(alone):.2f} vs ScionC λ_t "
                            f"{100 * final_top1(scionc):.2f} (higher)"))
    fig = draw_momentum(base, groups, scale, "11", "stress test: α linear 0.01 → 1")
    return style.finish(fig, f"chou2025-figure-11_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.01, premises=premises)
