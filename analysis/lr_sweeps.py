"""Learning-rate sweeps (Kosson Figs. 6–7, 12, 14, 16, 18): final held-out loss per (group,
lr), where the optimum sits on the grid, how far it moves, and how flat the basin is.
"""

from __future__ import annotations

import pandas as pd

from analysis import style
from analysis.seeds import final_loss

PAPER = "Kosson et al. 2026"
# Thresholds from the paper's wording, fixed before our runs: "the optimal matrix LR stays
# roughly fixed" = it moves by at most one grid step across the sizes swept.
MAX_OPTIMUM_SHIFT = 1



def final_losses(runs: list[dict], by: str) -> pd.DataFrame:
    """One row per run: `by` (width, gains, ...), lr, final held-out loss (mean over seeds)."""
    rows = [{by: r["config"][by], "lr": r["config"]["lr"], "loss": final_loss(r, "eval_loss")}
            for r in runs]
    return pd.DataFrame(rows).groupby([by, "lr"], as_index=False)["loss"].mean()


def sweep_plot(table: pd.DataFrame, by: str, scale: str, figure: str, what: str, ax=None,
                xlabel: str = "matrix lr (relative step per step)", label=None, styles=None):
    """Final loss against lr, one line per `by` value (`label(group)`, `styles(group)`: plot
    keywords), stars at the optima (on `ax` if given: a panel of a larger figure)."""
    if ax is None:
        fig, ax = style.plt.subplots(figsize=(6.5, 4.2))
    fig = ax.figure
    for group, t in table.groupby(by, sort=False):
        t = t.sort_values("lr")
        line, = ax.plot(t["lr"], t["loss"], marker="o", **(styles(group) if styles else {}),
                        label=label(group) if label else f"{by} {group}")
        best = t.loc[t["loss"].idxmin()]
        ax.plot(best["lr"], best["loss"], marker="*", ms=14, color=line.get_color())
    ax.set_xscale("log", base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("final held-out loss")
    ax.legend(fontsize=8)
    fig.suptitle(style.title(PAPER, figure, scale, what), fontsize=10)
    return fig


def sweep_table(runs: list[dict], group_of, x: str = "lr") -> pd.DataFrame:
    """`final_losses` with any swept key as x (column "lr") and any grouping (column "g")."""
    mapped = [{**r, "config": {"g": group_of(r["config"]), "lr": r["config"][x]}}
              for r in runs]
    return final_losses(mapped, "g")


def optimum_shift(table: pd.DataFrame, by: str) -> tuple[dict, int]:
    """({group: its best lr}, how many grid steps the best lr moves across groups)."""
    grid = sorted(table["lr"].unique())
    best = {g: float(t.loc[t["loss"].idxmin(), "lr"]) for g, t in table.groupby(by)}
    positions = [grid.index(lr) for lr in best.values()]
    return best, max(positions) - min(positions)


def edge_optima(table: pd.DataFrame, by: str) -> tuple[dict, list[str]]:
    """({group: its best lr}, the groups (as str, in order) whose best lr is the grid's first
    or last value: there the optimum is only bounded. A one-value grid brackets nothing, and
    a group that diverged at every lr gets the first lr: both count as on the edge."""
    best, _ = optimum_shift(table, by)
    grid = sorted(table["lr"].unique())
    return best, [str(g) for g in sorted(best) if best[g] in (grid[0], grid[-1])]


def optima_finite(table: pd.DataFrame, by: str) -> bool:
    """Every group has a finite best loss: an optimum read off a group that diverged at every
    lr is the grid's first lr, and would let a shift of 0 pass vacuously."""
    return style.all_finite(table.groupby(by)["loss"].min())

