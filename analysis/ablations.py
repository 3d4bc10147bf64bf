"""Ablations over one key at its best lr (Kosson Figs. 4, 5, 9, 10, 17): loss curves per
value, the premise that the compared runs learn, and the claims that compare them.
"""

from __future__ import annotations

import pandas as pd

from analysis import style
from analysis.load import load_runs
from analysis.lr_sweeps import best_runs, edge_optima, final_losses, learns_premise, sweep_plot
from analysis.style import verdict


def ablation_curves(ax, runs: list[dict], by: str, best: dict) -> None:
    """Training loss (EMA, mean over seeds) of each group's run at its best lr."""
    for group, lr in best.items():
        losses = [r["metrics"].set_index("step")["loss"] for r in runs
                  if r["config"][by] == group and r["config"]["lr"] == lr]
        loss = pd.concat(losses, axis=1).mean(axis=1)
        ax.plot(loss.index, loss.ewm(span=max(len(loss) // 50, 1)).mean(),
                label=f"{by} {group} (lr {lr:g})")
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (EMA)")
    ax.legend(fontsize=8)


def ablation_figure(sweep_file, scale, results, out_dir, by: str, figure: str, what: str,
              compare, tables=("metrics",), extra_panel=None, extra_axes: int = 1,
              only=None) -> dict:
    """An lr sweep per `by` value: sweep + loss curves (+ `extra_axes` more panels), the
    premise that each value's best run learns (first), the figure's own claim
    (`compare(best_loss) -> (name, shown, text, measured)`) and the edge-of-grid check.
    `only(config)`: the runs of the sweep that the ablation compares (default all);
    `extra_panel(axes, all runs, best) -> (shown, verdicts, measured[, premises])`."""
    every = load_runs(sweep_file, scale, results, tables=tables)
    runs = [r for r in every if only is None or only(r["config"])]
    table = final_losses(runs, by)
    best_loss = table.groupby(by)["loss"].min()
    name, ok, text, measured = compare(best_loss)
    best, at_edge = edge_optima(table, by)
    # name None: a measurement the figure shows, with no claim attached (said, not judged)
    shown = {name: ok} if name else {}
    shown["optima_inside_the_lr_grid"] = not at_edge
    premises, verdicts, learned = learns_premise(best_runs(runs, table, by))
    verdicts += [verdict(ok, text) if name else f"{'measured':9}  {text}",
                verdict(not at_edge, "every optimum inside the lr grid" if not at_edge else
                        f"optimum on the grid's edge for {by} {at_edge}: extend the grid")]
    panels = 2 + extra_axes if extra_panel else 2
    fig, axes = style.plt.subplots(1, panels, figsize=(6 * panels, 4.2))
    sweep_plot(table, by, scale, figure, what, ax=axes[0])
    ablation_curves(axes[1], runs, by, best)
    if extra_panel:
        more_shown, more_verdicts, more_measured, *more_premises = extra_panel(
            axes[2] if extra_axes == 1 else axes[2:], every, best)
        shown.update(more_shown)
        verdicts += more_verdicts
        measured.update(more_measured)
        premises.update(*more_premises)
    measured.update(learned, best_loss={str(k): float(v) for k, v in best_loss.items()},
                    best_lr={str(k): v for k, v in best.items()}, at_edge=at_edge)
    return style.finish(fig, f"kosson2026-figure-{figure}_{scale}", verdicts, shown, measured,
                        out_dir, text_y=-0.04, premises=premises)


def need_groups(best_loss: pd.Series, groups, figure: str) -> None:
    missing = [g for g in groups if g not in best_loss.index]
    if missing:
        raise ValueError(f"figure {figure} needs runs for {missing}")
