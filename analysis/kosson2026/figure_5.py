"""Kosson et al. 2026, Figure 5: Unit-norm embeddings vs free ones: unit is (slightly) better."""

from __future__ import annotations

from analysis.ablations import ablation_figure, need_groups
from analysis.style import all_finite

QUOTE = ("Kosson et al. 2026 (summary), Fig. 5: “Holding each embedding vector at unit norm "
         "performs slightly better than leaving them unconstrained, while keeping the embedding "
         "update better behaved.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Unit-norm embeddings vs free ones: unit is (slightly) better."""
    def compare(best_loss):
        need_groups(best_loss, ("unit", "free"), "5")
        unit, free = float(best_loss["unit"]), float(best_loss["free"])
        # "performs slightly better": strictly (a tie is not better); both must have trained
        return ("unit_embeddings_better", all_finite(unit, free) and unit < free,
                f"best loss: unit embeddings {unit:.4f} vs free {free:.4f} (unit < free)",
                {"gap_free_minus_unit": free - unit})
    return ablation_figure(sweep_file, scale, results, out_dir, "md_embeddings", "5",
                     "MD embedding normalization", compare)
