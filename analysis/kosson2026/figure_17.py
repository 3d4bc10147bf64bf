"""Kosson et al. 2026, Figure 17: A rank-4 gain Γ = 1 + A·Bᵀ: better than no gains, not better than
row+column gains.
"""

from __future__ import annotations

from analysis.ablations import ablation_figure, need_groups
from analysis.style import all_finite

QUOTE = ("Kosson et al. 2026 (summary), Fig. 17: “A higher-rank gain improves over no gains but "
         "does not beat the simpler row-and-column gain, which remains our default.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """A rank-4 gain Γ = 1 + A·Bᵀ: better than no gains, not better than row+column gains."""
    def compare(best_loss):
        need_groups(best_loss, ("none", "row+col", "rank4"), "17")
        return ("rank_gain_between_none_and_row_col",
                all_finite(best_loss[["none", "row+col", "rank4"]])
                and best_loss["rank4"] < best_loss["none"]
                and best_loss["row+col"] <= best_loss["rank4"],
                f"best loss: none {best_loss['none']:.4f} > rank-4 {best_loss['rank4']:.4f} "
                f"≥ row+col {best_loss['row+col']:.4f}", {})
    return ablation_figure(sweep_file, scale, results, out_dir, "gains", "17",
                     "MuonMD rank-4 gain matrix", compare)
