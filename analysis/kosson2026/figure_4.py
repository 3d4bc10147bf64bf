"""Kosson et al. 2026, Figure 4: Row, column and Frobenius spheres (no gains): the axis barely
moves the best loss.
"""

from __future__ import annotations

from analysis.ablations import ablation_figure, need_groups
from analysis.style import all_finite

QUOTE = ("Kosson et al. 2026 (summary), Fig. 4: “The choice of normalization axis barely affects "
         "the final loss, so we adopt the most flexible Frobenius constraint.”")

AXIS_BAND = 0.01   # Fig. 4 "barely affects the final loss": best losses within 1 % of each other


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Row, column and Frobenius spheres (no gains): the axis barely moves the best loss."""
    def compare(best_loss):
        need_groups(best_loss, ("row", "col", "frobenius"), "4")
        spread = float(best_loss.max() / best_loss.min() - 1)
        listing = ", ".join(f"{g} {v:.4f}" for g, v in best_loss.sort_values().items())
        return ("axis_barely_matters", all_finite(best_loss) and spread <= AXIS_BAND,
                f"best loss per sphere: {listing}; spread {spread:.2%} (≤ {AXIS_BAND:.0%})",
                {"spread": spread})
    return ablation_figure(sweep_file, scale, results, out_dir, "md_sphere", "4",
                     "MD normalization axis, no gains", compare)
