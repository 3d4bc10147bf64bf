"""Chou et al. 2025, Figure 4: Scion vs ScionC on a GPT."""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 4 caption: “λ∝γ scaling of ScionC results in more stable weight norm, gradient "
         "norm, and Spectral norms.” / §3.1: “We find that ScionC results in lower validation "
         "loss (2.838 vs. 2.846) and more stable weight norm, gradient norm, … than the baseline "
         "Scion (Fig. 4).”")
# Said in the report beside the verdicts:
NOT_REPRODUCED = ("validation loss (train loss is compared) and the Spectral "
                  "norms (not logged)")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC on a GPT."""
    return corrected_vs_baseline(PAPER, "4", sweep_file, scale, results, out_dir, "scion",
                                 "scionc")
