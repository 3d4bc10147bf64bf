"""Kosson et al. 2026, Figure 6: Gain modes on the sphere: any gains beat none; row+column is the
best mode. Centre panel (where the sweep has it): row+column gains under each parameterization
(softplus, exp, identity) all train stably and end within 1 % of each other, softplus best.
"""

from __future__ import annotations

from analysis import style
from analysis.load import load_runs
from analysis.lr_sweeps import (
    best_runs,
    final_losses,
    gap_against_seeds,
    learns_premise,
    sweep_plot,
)
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 6: “Adding learnable magnitude gains on top of "
         "spherical training helps noticeably; a combined per-row-and-column gain works best. "
         "The gain parameterization makes little difference, with softplus giving a minimal "
         "edge, and all parameterizations training stably.”")
# "Little difference", fixed before the runs: the parameterizations' best held-out losses
# within 1 % of each other.
LITTLE_DIFFERENCE = 0.01


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Gain modes on the sphere: any gains beat none; row+column is the best mode."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    modes = [r for r in runs if r["config"]["gain_param"] == "softplus"]
    table = final_losses(modes, "gains")
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
    compared = best_runs(modes, table, "gains")
    params = [r for r in runs if r["config"]["gains"] == "row+col"]
    centre = final_losses(params, "gain_param")
    if centre["gain_param"].nunique() > 1:
        compared.update({f"gain_param {k}": v for k, v in
                         best_runs(params, centre, "gain_param").items()})
    premises, verdicts, learned = learns_premise(compared)
    verdicts += [
        verdict(shown["gains_beat_sphere_only"], f"best loss with gains {with_gains.min():.4f}"
                f" vs sphere only {best_loss['none']:.4f}"),
        verdict(shown["row_col_is_best"], f"best loss per gain mode: {listing}"),
    ]
    measured = {"best_loss": {k: float(v) for k, v in best_loss.items()}, **learned}
    if centre["gain_param"].nunique() > 1:
        fig, axes = style.plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
        sweep_plot(table, "gains", scale, "6", "MuonMD gain modes; gain parameterizations",
                   ax=axes[0])
        sweep_plot(centre, "gain_param", scale, "6", "MuonMD gain modes; gain "
                   "parameterizations", ax=axes[1], label=lambda g: f"row+col, {g}")
        verdicts += parameterization_claims(centre, compared, shown, measured)
    else:
        fig = sweep_plot(table, "gains", scale, "6", "MuonMD gain modes")
    return style.finish(fig, f"kosson2026-figure-6_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.04, premises=premises)


def parameterization_claims(centre, compared: dict, shown: dict, measured: dict) -> list[str]:
    """The centre panel's three claims into `shown` and `measured`; their verdict lines (and
    a CAUSE beside the seed spread where softplus is not best). `compared`: the best runs."""
    best = centre.groupby("gain_param")["loss"].min()
    stable = style.all_finite(*centre["loss"])  # every lr of every parameterization
    spread = float(best.max() / best.min() - 1) if style.all_finite(*best) else float("inf")
    shown.update({"all_parameterizations_train_stably": stable,
                  "parameterization_makes_little_difference": spread < LITTLE_DIFFERENCE,
                  "softplus_has_a_minimal_edge": stable and best.idxmin() == "softplus"})
    measured.update({"best_loss_per_gain_param": {k: float(v) for k, v in best.items()},
                     "gain_param_spread": spread})
    bad = sorted(set(centre.loc[~centre["loss"].map(style.all_finite), "gain_param"]))
    listing = ", ".join(f"{g} {v:.4f}" for g, v in best.sort_values().items())
    lines = [verdict(stable, "every run of every parameterization finite" if stable else
                     f"not finite at some lr: {', '.join(bad)}"),
             verdict(spread < LITTLE_DIFFERENCE, f"best losses within {spread:.2%} of each "
                     f"other (< {LITTLE_DIFFERENCE:.0%})"),
             verdict(shown["softplus_has_a_minimal_edge"], f"best loss per parameterization: "
                     f"{listing}")]
    if stable and not shown["softplus_has_a_minimal_edge"]:
        lines.append(style.cause(gap_against_seeds(
            f"softplus vs {best.idxmin()}", compared["gain_param softplus"],
            compared[f"gain_param {best.idxmin()}"])))
    return lines
