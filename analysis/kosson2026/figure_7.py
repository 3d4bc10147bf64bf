"""Kosson et al. 2026, Figure 7: MuonMD matrix-lr sweeps across width (left), depth (centre) and
width and depth jointly (right), each from one base size: the optimum should not move.
"""

from __future__ import annotations

from analysis import style
from analysis.load import load_runs
from analysis.lr_sweeps import (
    MAX_OPTIMUM_SHIFT,
    best_runs,
    edge_optima,
    final_losses,
    learns_premise,
    optima_finite,
    optimum_shift,
    sweep_plot,
    sweep_table,
)
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 7: “With Magnitude–Direction Decoupling the optimal "
         "matrix learning rate stays essentially fixed as the model grows, so it can be tuned "
         "once on a small model and reused. … In each panel the optimal matrix LR stays roughly "
         "fixed across model sizes.”")
# Said in the report beside the verdicts:
NOT_REPRODUCED = "the summary's model sizes are not matched"
# The panels: which runs each compares, given the base size (width, depth) all three share.
PANELS = {"width": lambda w, d, base: d == base[1],
          "depth": lambda w, d, base: w == base[0],
          "width_and_depth": lambda w, d, base: w * base[1] == d * base[0]}


def base_size(sizes: set[tuple[int, int]]) -> tuple[int, int]:
    """The (width, depth) the panels scale from: the size with the most partners across the
    three panels (same depth, same width, same width/depth ratio)."""
    def partners(size):
        return sum(rule(w, d, size) for w, d in sizes for rule in PANELS.values()
                   if (w, d) != size)
    return max(sorted(sizes), key=partners)


def transfer(members: list[dict], panel: str) -> dict:
    """One panel's lr sweeps across its sizes (Figure 1's right panel is the width one): the
    table, each size's best lr and how many grid steps the optimum moves; whether that shows
    the transfer (optima finite, shift ≤ MAX_OPTIMUM_SHIFT), its verdict line, and the best
    runs per size for the premise."""
    by = "width" if panel == "width" else "size"
    table = final_losses(members, "width") if panel == "width" else sweep_table(
        members, lambda c: f"{c['width']}×{c['depth']}").rename(columns={"g": "size"})
    _, shift = optimum_shift(table, by)
    best, at_edge = edge_optima(table, by)
    # An optimum on the grid's edge only bounds the shift: the claim needs them inside. A
    # size that diverged at every lr has no optimum: the transfer claim fails.
    shown = optima_finite(table, by) and shift <= MAX_OPTIMUM_SHIFT
    line = verdict(shown, f"best lr per {by} ({panel} panel) {best}: moves {shift} grid "
                   f"step(s) (≤ {MAX_OPTIMUM_SHIFT}; every {by} finite)")
    compared = {str(g): v for g, v in best_runs(
        members, table.rename(columns={by: "g"}), "g",
        (lambda c: c["width"]) if panel == "width" else
        (lambda c: f"{c['width']}×{c['depth']}")).items()}
    return {"table": table, "by": by, "best": best, "shift": shift, "at_edge": at_edge,
            "shown": shown, "verdict": line, "compared": compared}


def panel_members(runs: list[dict], panel: str) -> list[dict]:
    """The runs a panel compares: those scaled from the base size along its rule."""
    base = base_size({(r["config"]["width"], r["config"]["depth"]) for r in runs})
    return [r for r in runs if PANELS[panel](r["config"]["width"], r["config"]["depth"], base)]


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD matrix-lr sweeps across width, depth and both: the optimum should not move."""
    return draw_transfer(sweep_file, scale, results, out_dir, "7", "MuonMD")


def draw_transfer(sweep_file, scale: str, results, out_dir, figure: str, method: str) -> dict:
    """`method`'s matrix-lr sweeps across the sizes of the panels the sweep scales along
    (Fig. 7: MuonMD; Fig. 8: AdamMD): each panel's optimum should not move."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    shown, verdicts, measured, compared, tables = {}, [], {}, {}, {}
    for panel in PANELS:
        members = panel_members(runs, panel)
        if len({(r["config"]["width"], r["config"]["depth"]) for r in members}) < 2:
            continue  # a panel the sweep does not scale along
        found = transfer(members, panel)
        shown[f"optimal_lr_transfers_across_{panel}"] = found["shown"]
        verdicts.append(found["verdict"])
        compared.update(found["compared"])
        key = "" if panel == "width" else f"{panel}_"  # the width panel keeps its old keys
        measured.update({f"{key}best_lr": {str(k): v for k, v in found["best"].items()},
                         f"{key}shift": found["shift"], f"{key}at_edge": found["at_edge"]})
        tables[panel] = (found["table"], found["by"])
    at_edge = sorted({e for k, v in measured.items() if k.endswith("at_edge") for e in v})
    shown["optima_inside_the_lr_grid"] = not at_edge
    verdicts.append(verdict(not at_edge, "every optimum inside the lr grid" if not at_edge
                            else f"optimum on the grid's edge for {at_edge}: extend the grid"))
    premises, lines, learned = learns_premise(compared)
    fig, axes = style.plt.subplots(1, len(tables), figsize=(6 * len(tables), 4.2), sharey=True,
                                   squeeze=False)
    names = {panel: panel.replace("_and_", " + ") for panel in tables}  # width_and_depth
    for ax, (panel, (table, by)) in zip(axes[0], tables.items()):
        sweep_plot(table, by, scale, figure, f"{method}: lr transfer across "
                   + ", ".join(names.values()),
                   ax=ax, label=lambda g, by=by: f"{by} {g}" if by == "width" else f"w×L {g}",
                   xlabel=f"{names[panel]}: matrix lr")
    return style.finish(fig, f"kosson2026-figure-{figure}_{scale}", lines + verdicts, shown,
                        {**measured, **learned}, out_dir, text_y=-0.04, premises=premises)
