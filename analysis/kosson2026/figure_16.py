"""Kosson et al. 2026, Figure 16: MuonMD matrix-lr sweeps across depth for α = 1/L and √(1/(2L)):
the optimum stays within one grid step for both; √(1/(2L)) is better at every depth.
"""

from __future__ import annotations

from analysis import style
from analysis.load import ResultsError, load_runs
from analysis.lr_sweeps import (
    MAX_OPTIMUM_SHIFT,
    best_runs,
    edge_optima,
    gap_against_seeds,
    learns_premise,
    optima_finite,
    optimum_shift,
    sweep_plot,
    sweep_table,
)
from analysis.style import all_finite, verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 16: “Both block-output scales transfer the matrix LR "
         "across depth; the softer α = … gives a small but consistent loss improvement”")

ALPHAS = {"inverse_depth": "α = 1/L", "inverse_sqrt_2depth": "α = √(1/(2L))"}


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD matrix-lr sweeps across depth for α = 1/L and √(1/(2L)): the optimum stays within
    one grid step for both; √(1/(2L)) is better at every depth."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    found = {r["config"]["block_output_scale"] for r in runs}
    if not set(ALPHAS) <= found:
        raise ResultsError(f"{sweep_file}: figure 16 needs block_output_scale "
                           f"{' and '.join(ALPHAS)}; found {', '.join(sorted(found))}")
    tables, shifts, bests, shown, compared = {}, {}, {}, {}, {}
    for alpha in ALPHAS:
        members = [r for r in runs if r["config"]["block_output_scale"] == alpha]
        t = sweep_table(members, lambda c: c["depth"])
        compared.update({f"{ALPHAS[alpha]} L={d}": group for d, group in best_runs(
            members, t, "g", lambda c: c["depth"]).items()})
        bests[alpha], shifts[alpha] = optimum_shift(t, "g")
        shown[f"{alpha}_lr_transfers_across_depth"] = optima_finite(t, "g") and \
            shifts[alpha] <= MAX_OPTIMUM_SHIFT
        tables[alpha] = t
    loss = {a: t.groupby("g")["loss"].min() for a, t in tables.items()}
    sqrt, inv = loss["inverse_sqrt_2depth"], loss["inverse_depth"]
    depths = sorted(set(sqrt.index) & set(inv.index))
    # "a small but consistent loss improvement": strictly lower at every depth
    worse = [d for d in depths if sqrt[d] >= inv[d]]
    # inf > inf is False: a depth where both diverged must fail the claim, not pass it
    diverged = [d for d in depths if not all_finite(sqrt[d], inv[d])]
    shown["sqrt_scale_improves"] = bool(depths) and not worse and not diverged
    edge = [f"{ALPHAS[a]} depth {g}" for a, t in tables.items() for g in edge_optima(t, "g")[1]]
    shown["optima_inside_the_lr_grid"] = not edge
    premises, verdicts, learned = learns_premise(compared)
    verdicts += [verdict(shown[f"{a}_lr_transfers_across_depth"], f"{ALPHAS[a]}: best lr per "
                         f"depth {bests[a]}, moves {shifts[a]} step(s) (≤ {MAX_OPTIMUM_SHIFT})")
                 for a in ALPHAS]
    pairs = ", ".join(f"L={d}: {sqrt[d]:.4f} vs {inv[d]:.4f}" for d in depths)
    verdicts += [verdict(shown["sqrt_scale_improves"], f"best loss √(1/(2L)) vs 1/L: {pairs}"),
                 verdict(not edge, "every optimum inside the lr grid" if not edge else
                         f"optimum on the grid's edge for {edge}: extend the grid")]
    # each depth's gap beside the seed spread: a CAUSE where √(1/(2L)) did not improve, a
    # measured line (how clearly) where it did at every depth and seeds were run
    spread = {d: gap_against_seeds(f"L={d}", compared[f"{ALPHAS['inverse_sqrt_2depth']} L={d}"],
                                   compared[f"{ALPHAS['inverse_depth']} L={d}"]) for d in depths}
    if worse:
        verdicts.append(style.cause("; ".join(spread[d] for d in worse)))
    elif all("one seed" not in line for line in spread.values()):
        verdicts.append(f"{'measured':9}  √(1/(2L)) vs 1/L beside seed noise: "
                        + "; ".join(spread.values()))
    fig, ax = style.plt.subplots(figsize=(7, 4.4))
    colors = {d: f"C{i}" for i, d in enumerate(sorted(set(sqrt.index) | set(inv.index)))}
    for alpha, t in tables.items():
        dashed = alpha == "inverse_sqrt_2depth"
        sweep_plot(t, "g", scale, "16", "MuonMD: block-output scale across depth", ax=ax,
                    xlabel="matrix lr", label=lambda g, a=alpha: f"L={g}, {ALPHAS[a]}",
                    styles=lambda g, d=dashed: {"color": colors[g], "ls": "--" if d else "-"})
    measured = {"best_lr": {a: {str(k): v for k, v in b.items()} for a, b in bests.items()},
                "shift": shifts, "at_edge": edge, "sqrt_worse_at_depths": worse,
                "diverged_at_depths": diverged,
                "best_loss": {a: {str(k): float(v) for k, v in s.items()} for a, s in loss.items()},
                **learned}
    return style.finish(fig, f"kosson2026-figure-16_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
