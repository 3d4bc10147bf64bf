"""Chou et al. 2025, Figure 4: Scion vs ScionC on a GPT."""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Chou et al. 2025"


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC on a GPT."""
    return corrected_vs_baseline(PAPER, "4", sweep_file, scale, results, out_dir, "scion",
                                 "scionc")
