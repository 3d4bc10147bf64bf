"""Defazio et al. 2025, Figure 5: SGD vs SGDC on a ResNet (Fig. 5)."""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Defazio et al. 2025"
QUOTE = ("§6 (Fig. 5): “For ImageNet training, the gradient norm shows an overall linear upward "
         "trend over time which is separate from the uptick explained by our theory. When "
         "applying SGDC, the rapid increase at the end of training is eliminated, but the slow "
         "increase over time remains.” / §1: “corrected versions of Adam (AdamC) and SGD (SGDC) "
         "improve over the base optimizers.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """SGD vs SGDC on a ResNet (Fig. 5)."""
    return corrected_vs_baseline(PAPER, "5", sweep_file, scale, results, out_dir, "sgd", "sgdc")
