"""Defazio et al. 2025, Figure 5: SGD vs SGDC on a ResNet (Fig. 5)."""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Defazio et al. 2025"


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """SGD vs SGDC on a ResNet (Fig. 5)."""
    return corrected_vs_baseline(PAPER, "5", sweep_file, scale, results, out_dir, "sgd", "sgdc")
