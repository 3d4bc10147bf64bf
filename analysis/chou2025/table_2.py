"""Chou et al. 2025, Table 2: ViT-S/16 top-1 of AdamW, AdamC, Scion and both ScionC variants
across budgets; the claim: ScionC performs as well as Scion at every budget.

Mean ± sample std over seeds per cell, beside the paper's numbers (`paper_table:` in
the sweep file); `harness table` prints other layouts.
"""

from __future__ import annotations

import math

from analysis.style import verdict
from analysis.tables import draw_table

QUOTE = ("Table 2 caption: “ScionC models perform as well as the Scion counterparts with more "
         "stable weight and gradient norms.”")

# "As well as", fixed before the runs: at every budget each ScionC column's mean top-1 is at
# most AS_WELL_POINTS below Scion's (the paper's gaps are a few tenths of a point).
AS_WELL_POINTS = 1.0


def as_well_as_scion(table):
    """(shown, verdicts, measured): every ScionC cell against Scion's in the same row."""
    scion = [c for c in table.cols if c.split("/")[0] == "scion"]
    scionc = [c for c in table.cols if c.split("/")[0] == "scionc"]
    if not scion or not scionc:
        raise ValueError(f"table 2 needs scion and scionc columns; got {table.cols}")
    gaps = {}
    for row in table.rows:
        base = table.cells[(row, scion[0])].mean
        for col in scionc:
            gaps[f"{row}/{col}"] = base - table.cells[(row, col)].mean  # NaN: a cell not run
    worst = max(gaps.values(), key=lambda g: math.inf if math.isnan(g) else g)
    shown = {"scionc_as_accurate_as_scion": all(g <= AS_WELL_POINTS for g in gaps.values())}
    verdicts = [verdict(shown["scionc_as_accurate_as_scion"], f"ScionC vs Scion top-1 at every "
                        f"budget: largest shortfall {worst:.2f} points (≤ {AS_WELL_POINTS})")]
    return shown, verdicts, {"scion_minus_scionc_points": gaps}


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """The table, and whether ScionC is as accurate as Scion at every budget (judged where
    the models learn: draw_table's premise)."""
    return draw_table(sweep_file, scale, results, out_dir, claims=as_well_as_scion)
