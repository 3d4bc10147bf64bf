"""Kosson et al. 2026, Figure 6: Gain modes on the sphere: any gains beat none; row+column is the
best mode.
"""

from __future__ import annotations

from analysis import style
from analysis.load import load_runs
from analysis.lr_sweeps import best_runs, final_losses, learns_premise, sweep_plot
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 6: “Adding learnable magnitude gains on top of "
         "spherical training helps noticeably; a combined per-row-and-column gain works best.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Gain modes on the sphere: any gains beat none; row+column is the best mode."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    table = final_losses(runs, "gains")
    best_loss = table.groupby("gains")["loss"].min()
    if "none" not in best_loss or "row+col" not in best_loss:
        raise ValueError("figure 6 needs gains 'none' and 'row+col' runs")
    with_gains = best_loss.drop("none")
    # Both sides of a comparison must have trained: inf < inf, or a first-listed idxmin
    # among all-diverged modes, would otherwise decide it.
    shown = {"gains_beat_sphere_only": style.all_finite(with_gains.min(), best_loss["none"])
             and bool(with_gains.min() < best_loss["none"]),
             "row_col_is_best": style.all_finite(best_loss["row+col"])
             and bool(best_loss.idxmin() == "row+col")}
    listing = ", ".join(f"{g} {v:.4f}" for g, v in best_loss.sort_values().items())
    premises, verdicts, learned = learns_premise(best_runs(runs, table, "gains"))
    verdicts += [
        verdict(shown["gains_beat_sphere_only"], f"best loss with gains {with_gains.min():.4f}"
                f" vs sphere only {best_loss['none']:.4f}"),
        verdict(shown["row_col_is_best"], f"best loss per gain mode: {listing}"),
    ]
    fig = sweep_plot(table, "gains", scale, "6", "MuonMD gain modes")
    measured = {"best_loss": {k: float(v) for k, v in best_loss.items()}, **learned}
    return style.finish(fig, f"kosson2026-figure-6_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.04, premises=premises)
