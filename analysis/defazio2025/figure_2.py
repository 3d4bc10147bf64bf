"""Defazio et al. 2025, Figure 2: Constant LR: ratios converge to √(2λ/γ)."""

from __future__ import annotations

from analysis.equilibrium import draw_ratios, window_deviation
from analysis.load import load_runs
from analysis.style import verdict

QUOTE = ("Fig. 2 caption: “Gradient-to-weight ratios converge towards a steady equilibrium when "
         "training without a learning rate schedule.” / §3: “These ratios quickly converge "
         "towards the steady-state predicted by the theory, and continue at that value for the "
         "remainder of the optimization process.”")

# Acceptance thresholds for the claims (the issue's, not the paper's constants).
FIG2_TOLERANCE = 0.15  # median |measured/theory − 1| over the last 30 %


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Constant LR: ratios converge to √(2λ/γ)."""
    run = load_runs(sweep_file, scale, results)[0]
    deviation = window_deviation(run["layers"], run["metrics"], run["config"], 0.7, 1.0)
    median = float(deviation.median())
    claims = {"converges_to_theory": {
        "shown": median < FIG2_TOLERANCE, "median_deviation_last_30pct": median,
        "max_deviation_last_30pct": float(deviation.max()), "tolerance": FIG2_TOLERANCE}}
    verdicts = [verdict(median < FIG2_TOLERANCE, f"converges: median |ratio/theory-1| over last "
                         f"30% = {median:.3f} (< {FIG2_TOLERANCE})")]
    paths = draw_ratios(run, scale, "2", "‖g‖/‖w‖ converges under a constant LR", verdicts, out_dir)
    return {"claims": claims, "verdicts": verdicts, "files": [str(p) for p in paths]}
