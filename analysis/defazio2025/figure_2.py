"""Defazio et al. 2025, Figure 2: Constant LR: ratios converge to √(2λ/γ)."""

from __future__ import annotations

import numpy as np

from analysis.equilibrium import draw_ratios, norms_over_time, window_deviation
from analysis.load import load_runs
from analysis.style import premise, verdict
from analysis.theory import effective_lr

QUOTE = ("Fig. 2 caption: “Gradient-to-weight ratios converge towards a steady equilibrium when "
         "training without a learning rate schedule.” / §3: “These ratios quickly converge "
         "towards the steady-state predicted by the theory, and continue at that value for the "
         "remainder of the optimization process.”")

# Acceptance thresholds for the claims (the issue's, not the paper's constants).
FIG2_TOLERANCE = 0.15  # median |measured/theory − 1| over the last 30 %

# Premises of the ratio claims (Figs. 2, 3), fixed before the runs: a ratio can only match
# the steady state once the run has reached it. HALF_LIVES: relaxation half-lives
# (t½ = −ln2/ln(1 − γ_eff·λ), from the logged schedule) elapsed before the judged window, so
# the gap to equilibrium is ≤ 1/16 of its start (the paper's own Fig. 2 run: 7 half-lives,
# 4.9 before its last 30 %). STEADY_CHANGE: the normalized layers' ‖w‖ moves < 20 % across
# the window; loose, since SGD's equilibrium ‖w‖ itself follows the gradient scale as the
# loss falls, which the ratio claim allows.
HALF_LIVES = 4.0
STEADY_CHANGE = 0.20


def half_lives_before(metrics, weight_decay: float, fraction: float,
                      momentum: float = 0.0) -> float:
    """Relaxation half-lives before `fraction` of the run: ∫ −log2(1 − γ_eff,t·λ) dt over the
    logged schedule (steps / t½ under a constant LR). NaN where γ_eff·λ ≥ 1 (no relaxation)."""
    steps = metrics["step"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = -np.log2(1 - effective_lr(metrics["lr"].to_numpy(), momentum) * weight_decay)
    before = steps <= fraction * steps.max()
    return float(np.trapezoid(rate[before], steps[before]))


def window_change(series, start: float, stop: float, width: float = 0.05) -> float:
    """Relative change of a series from its mean over [start, start + width] of the run to
    its mean over [stop − width, stop]; NaN where either window holds a NaN (a divergence)."""
    fraction = series.index / series.index.max()

    def mean(a, b):
        return series[(fraction >= a) & (fraction <= b)].mean(skipna=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(mean(stop - width, stop) / mean(start, start + width) - 1)


def steady_state(run: dict, start: float, change: tuple[float, float]):
    """(premises, premise lines, measured): ≥ HALF_LIVES before `start` (the judged window's
    start), and |Δ‖w‖| < STEADY_CHANGE between the `change` fractions of the run."""
    cfg, metrics = run["config"], run["metrics"]
    halves = half_lives_before(metrics, cfg["weight_decay"], start, cfg["momentum"])
    moved = window_change(norms_over_time(run["layers"])["weight_norm"], *change)
    premises = {"half_lives_before_window": halves >= HALF_LIVES,  # False on NaN
                "weight_norm_steady": abs(moved) < STEADY_CHANGE}
    lines = [premise(premises["half_lives_before_window"], f"{halves:.1f} half-lives "
                     f"(γ_eff·λ) before {start:.0%} of the run (≥ {HALF_LIVES:g})"),
             premise(premises["weight_norm_steady"], f"‖w‖ of normalized layers "
                     f"{change[0]:.0%}→{change[1]:.0%}: {moved:+.0%} (|change| < "
                     f"{STEADY_CHANGE:.0%})")]
    return premises, lines, {"half_lives_before_window": halves, "weight_norm_change": moved}


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Constant LR: ratios converge to √(2λ/γ), judged once the run is in steady state."""
    run = load_runs(sweep_file, scale, results)[0]
    deviation = window_deviation(run["layers"], run["metrics"], run["config"], 0.7, 1.0)
    median = float(deviation.median())
    premises, lines, measured = steady_state(run, 0.7, (0.7, 1.0))
    claims = {"converges_to_theory": {
        "shown": median < FIG2_TOLERANCE, "median_deviation_last_30pct": median,
        "max_deviation_last_30pct": float(deviation.max()), "tolerance": FIG2_TOLERANCE},
        "measured": measured}
    verdicts = lines + [verdict(median < FIG2_TOLERANCE, f"converges: median |ratio/theory-1| "
                                f"over last 30% = {median:.3f} (< {FIG2_TOLERANCE})")]
    paths = draw_ratios(run, scale, "2", "‖g‖/‖w‖ converges under a constant LR", verdicts, out_dir)
    return {"claims": claims, "verdicts": verdicts, "files": [str(p) for p in paths],
            "premises": premises}
