"""Kosson et al. 2026, Figure 10: No warmup vs warmup under MD: dropping warmup improves the
best loss.
"""

from __future__ import annotations

from analysis.ablations import ablation_figure
from analysis.style import all_finite

QUOTE = ("Kosson et al. 2026 (summary), Fig. 10: “Decoupling and fixing weight norms removes the "
         "need for warmup, and dropping it improves the loss … (Left) LR sweep with and without "
         "warmup on the 181M model, showing dropping warmup improves the loss.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """No warmup vs warmup under MD: "dropping it improves the loss" (a tie is not that)."""
    def compare(best_loss):
        warm = [w for w in best_loss.index if w > 0]
        if 0 not in best_loss.index or not warm:
            raise ValueError("figure 10 needs runs with warmup_steps 0 and > 0")
        none, with_ = float(best_loss[0]), float(best_loss[warm].min())
        return ("no_warmup_improves", all_finite(none, with_) and none < with_,
                f"best loss: no warmup {none:.4f} vs warmup {with_:.4f} (no warmup < warmup)",
                {"gap_warmup_minus_none": with_ - none})
    return ablation_figure(sweep_file, scale, results, out_dir, "warmup_steps", "10",
                     "MD with and without warmup", compare)
