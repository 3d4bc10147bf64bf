"""Kosson et al. 2026, Figure 1: per base optimizer (Adam, Muon), the tuned baseline, its weights
on a sphere and full MD on a dense model (left); MuonMD against tuned baselines on the MoE
(centre, Figure 11's runs) and its lr transfer across width (right, Figure 7's runs).
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.artifacts import beside
from analysis.kosson2026 import figure_7, figure_11
from analysis.load import ResultsError, load_runs
from analysis.style import all_finite, verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 1: “Magnitude–Direction (MD) Decoupling improves on "
         "well-tuned Adam and Muon, keeps the improvement across compute on large MoEs, and "
         "makes the optimal learning rate transfer across model width. … (Left) Learning-rate "
         "sweep on a dense model: independently of the base optimizer, fixing the weights onto "
         "a sphere improves the optimal loss, and adding learnable …” / "
         "shared/specs/md_decoupling.md: “Fixing weights on a sphere beats the base optimizer "
         "at its best LR; adding gains beats sphere-only”")
NOT_REPRODUCED = ("the centre panel's sizes: Figure 11's MoE sizes stand for them (at mini "
                  "they differ in width only); its compute axis is judged where that sweep "
                  "holds several")
# The centre and right panels are these artifacts' runs, trained once and drawn twice.
ALSO = ("kosson2026-figure-11", "kosson2026-figure-7")

# base optimizer -> (baseline, its MD optimizer)
BASES = {"Adam": ("adamw", "adammd"), "Muon": ("muon", "muonmd")}
WAYS = ("tuned", "sphere", "MD")  # the three curves per base, in the caption's order


def way(config: dict) -> tuple[str, str]:
    """(base, way) of a run: the plain optimizer, MD with gains none, or MD with gains."""
    for base, (plain, md) in BASES.items():
        if config["optimizer"] == plain:
            return base, "tuned"
        if config["optimizer"] == md:
            return base, "sphere" if config["gains"] == "none" else "MD"
    raise ResultsError(f"figure 1 has no place for optimizer {config['optimizer']}")


NAMES = {"adamw": "AdamW", "adammd": "AdamMD", "muon": "Muon", "muonmd": "MuonMD"}


def label(group: tuple[str, str]) -> str:
    base, how = group
    plain, md = (NAMES[o] for o in BASES[base])
    return {"tuned": f"{plain} (λ, warmup)", "sphere": f"{base} on the sphere",
            "MD": f"{md} (sphere + gains)"}[how]


def dense_panels(sweep_file, runs: list[dict]) -> dict:
    """Left: per base, tuned vs sphere vs MD at their best lrs (claims, verdict lines, the
    compared runs, grid edges)."""
    def group_of(config):
        return label(way(config))
    table = lr_sweeps.sweep_table(runs, group_of)
    best = table.groupby("g")["loss"].min()
    missing = [label((b, w)) for b in BASES for w in WAYS if label((b, w)) not in best]
    if missing:
        raise ResultsError(f"{sweep_file}: figure 1 needs runs for {', '.join(missing)}")
    compared = lr_sweeps.best_runs(runs, table, "g", group_of)
    # Each comparison needs trained runs on both sides (inf < inf is False: fails)
    pairs = {"sphere_beats_tuned_baseline": ("sphere", "tuned"),
             "gains_beat_sphere_only": ("MD", "sphere"),
             "md_beats_tuned_baseline": ("MD", "tuned")}
    shown, lines = {}, []
    for claim, (lo, hi) in pairs.items():
        sides = {b: (label((b, lo)), label((b, hi))) for b in BASES}
        wins = {b: all_finite(best[a], best[c]) and best[a] < best[c] for b, (a, c) in
                sides.items()}
        shown[claim] = all(wins.values())
        lines.append(verdict(shown[claim], "best held-out loss " + "; ".join(
            f"{a} {best[a]:.4f} vs {c} {best[c]:.4f}" for a, c in sides.values())))
        if not shown[claim]:
            lines.append(style.cause("; ".join(lr_sweeps.gap_against_seeds(
                f"{a} vs {c}", compared[a], compared[c]) for b, (a, c) in sides.items()
                if not wins[b])))
    return {"table": table, "best": best, "compared": compared, "shown": shown,
            "lines": lines, "edge": lr_sweeps.edge_optima(table, "g")[1]}


def moe_panel(sweep_file, scale: str, results) -> dict:
    """Centre: MuonMD against each tuned baseline on the MoE, as Figure 11 judges it: at its
    largest size, and at every compute where Figure 11's sweep holds several sizes."""
    moe = beside(sweep_file, ALSO[0])
    labels = {opt: f"MoE {name}" for opt, name in figure_11.LABELS.items()}
    claims = {f"moe_muonmd_beats_tuned_{b}": (labels["muonmd"], labels[b])
              for b in figure_11.BASELINES}
    sizes = figure_11.compare_sizes(moe, load_runs(moe, scale, results, tables=("metrics",)),
                                    labels, "1", claims)
    found = sizes[max(sizes)]
    # its premise and edge lines are judged with the other panels': only its claims' lines
    del found["shown"]["optima_inside_the_lr_grid"]
    # the base size keeps its labels; another size's are named by its width
    def name(w, g):
        return g if w == max(sizes) else f"width {w} {g}"
    found["measured"]["at_edge"] = [name(w, g) for w, f in sizes.items()
                                    for g in f["measured"]["at_edge"]]
    found["compared"] = {name(w, g): runs for w, f in sizes.items()
                         for g, runs in f["compared"].items()}
    if len(sizes) > 1:
        every, line, _ = figure_11.every_compute(sizes, claims, labels["muonmd"])
        found["shown"]["moe_muonmd_beats_tuned_baselines_at_every_compute"] = every
        found["lines"] = [*found["lines"], line]
    return found


def width_panel(sweep_file, scale: str, results) -> dict:
    """Right: MuonMD's best matrix lr across width, as Figure 7's width panel judges it."""
    width = beside(sweep_file, ALSO[1])
    members = figure_7.panel_members(load_runs(width, scale, results, tables=("metrics",)),
                                     "width")
    if len({r["config"]["width"] for r in members}) < 2:
        raise ResultsError(f"{width}: figure 1's right panel needs ≥ 2 widths at one depth")
    return figure_7.transfer(members, "width")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Dense: tuned baseline vs sphere vs MD per base; MoE: MuonMD vs tuned baselines; width:
    MuonMD's optimal lr stays put."""
    dense = dense_panels(sweep_file, load_runs(sweep_file, scale, results, tables=("metrics",)))
    moe = moe_panel(sweep_file, scale, results)
    width = width_panel(sweep_file, scale, results)
    compared = {**dense["compared"], **moe["compared"],
                **{f"width {w}": v for w, v in width["compared"].items()}}
    premises, lines, learned = lr_sweeps.learns_premise(compared)
    edge = [*dense["edge"], *moe["measured"]["at_edge"],
            *(f"width {w}" for w in width["at_edge"])]
    shown = {**dense["shown"], **moe["shown"],
             "optimal_lr_transfers_across_width": width["shown"],
             "optima_inside_the_lr_grid": not edge}
    lines += [*dense["lines"], *moe["lines"], width["verdict"],
              verdict(not edge, "every optimum inside its lr grid" if not edge else
                      f"optimum on the grid's edge for {edge}: extend the grid")]
    fig, axes = style.plt.subplots(1, 4, figsize=(22, 4.2))
    what = "dense: tuned baseline, sphere, MD; MoE (Fig. 11's runs); width (Fig. 7's runs)"
    for ax, base in zip(axes, BASES):
        mine = dense["table"][dense["table"]["g"].isin([label((base, w)) for w in WAYS])]
        lr_sweeps.sweep_plot(mine, "g", scale, "1", what, ax=ax, label=str,
                             xlabel=f"dense, {base}: lr ({NAMES[BASES[base][0]]}: absolute "
                             "step; MD: relative)")
    lr_sweeps.sweep_plot(moe["table"], "g", scale, "1", what, ax=axes[2], label=str,
                         xlabel="MoE: lr (AdamW: absolute step; Muon, MuonMD: relative)")
    lr_sweeps.sweep_plot(width["table"], "width", scale, "1", what, ax=axes[3],
                         label=lambda w: f"width {w}", xlabel="MuonMD across width: matrix lr")
    measured = {"best_loss": {g: float(v) for g, v in dense["best"].items()},
                "moe_best_loss": moe["measured"]["best_loss"],
                "width_best_lr": {str(k): v for k, v in width["best"].items()},
                "width_shift": width["shift"], "at_edge": edge, **learned}
    return style.finish(fig, f"kosson2026-figure-1_{scale}", lines, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
