"""Kosson et al. 2026, Figure 14: Matrix-lr sweeps per Muon shape factor, plain Muon and MuonMD:
the two √ factors are best and nearly identical; RMS-matching is noticeably worse; every factor
beats AdamW (where the sweep has AdamW runs).
"""

from __future__ import annotations

from analysis import style
from analysis.load import ResultsError, load_runs
from analysis.lr_sweeps import (
    best_runs,
    edge_optima,
    gap_against_seeds,
    learns_premise,
    sweep_plot,
    sweep_table,
)
from analysis.style import all_finite, verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 14: “All common Muon scale-factor conventions "
         "clearly beat AdamW, but the choice still matters: the unit-RMS-norm … "
         "and shape-scaling … factors are best and nearly identical, while the RMS-matching "
         "factor is noticeably worse.”")

# Fig. 14 "best and nearly identical [...] RMS-matching noticeably worse": the two √ factors'
# best losses within 0.5 % of each other, RMS-matching's more than 0.5 % above the better one.
NEARLY_IDENTICAL = 0.005

FACTORS = {  # muon_adjust_lr -> the paper's name for the factor
    "spectral_unclamped": "√(d_out/d_in)",
    "original": "max(1, √(d_out/d_in))",
    "match_rms_adamw": "RMS-matching 0.2·√max(d_out, d_in)",
    "none": "1",
}

SQRT_FACTORS = ("spectral_unclamped", "original")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Matrix-lr sweeps per Muon shape factor, plain Muon and MuonMD: the two √ factors are
    best and nearly identical; RMS-matching is noticeably worse."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    optimizers = [o for o in ("muon", "muonmd") if any(r["config"]["optimizer"] == o
                                                       for r in runs)]
    shown, measured, verdicts, tables, compared = {}, {}, [], {}, {}
    for opt in optimizers:
        members = [r for r in runs if r["config"]["optimizer"] == opt]
        t = sweep_table(members, lambda c: c["muon_adjust_lr"])
        compared.update({f"{opt} {g}": group for g, group in best_runs(
            members, t, "g", lambda c: c["muon_adjust_lr"]).items()})
        best = t.groupby("g")["loss"].min()
        needed = (*SQRT_FACTORS, "match_rms_adamw")
        if not set(needed) <= set(best.index):
            raise ResultsError(f"{sweep_file}: figure 14 needs factors {', '.join(needed)} "
                               f"for {opt}; found {', '.join(best.index)}")
        sq, others = best[list(SQRT_FACTORS)], best.drop(list(SQRT_FACTORS))
        gap = float(abs(sq.iloc[0] - sq.iloc[1]) / sq.min())
        rms = float(best["match_rms_adamw"] / sq.min() - 1.0)
        # every comparison needs trained runs on both sides: a factor that diverged at every
        # lr (inf) fails it rather than deciding it
        shown[f"{opt}_sqrt_factors_best"] = all_finite(best) and sq.max() < others.min()
        shown[f"{opt}_sqrt_factors_nearly_identical"] = gap <= NEARLY_IDENTICAL
        shown[f"{opt}_rms_matching_noticeably_worse"] = all_finite(rms) and rms > NEARLY_IDENTICAL
        listing = ", ".join(f"{FACTORS.get(g, g)} {v:.4f}" for g, v in best.sort_values().items())
        verdicts += [
            verdict(shown[f"{opt}_sqrt_factors_best"], f"{opt}: best loss per factor {listing}"),
            verdict(shown[f"{opt}_sqrt_factors_nearly_identical"], f"{opt}: the √ factors "
                    f"differ by {100 * gap:.2f} % (≤ {100 * NEARLY_IDENTICAL:g} %)"),
            verdict(shown[f"{opt}_rms_matching_noticeably_worse"], f"{opt}: RMS-matching "
                    f"{100 * rms:+.2f} % vs the better √ factor (> {100 * NEARLY_IDENTICAL:g} %)")]
        if not shown[f"{opt}_rms_matching_noticeably_worse"] and all_finite(rms):
            better = sq.idxmin()  # RMS-matching against the better √ factor, beside chance
            verdicts.append(style.cause(gap_against_seeds(
                f"{opt} RMS-matching vs {FACTORS[better]}", compared[f"{opt} match_rms_adamw"],
                compared[f"{opt} {better}"])))
        measured[opt] = {"best_loss": {g: float(v) for g, v in best.items()},
                         "sqrt_gap": gap, "rms_excess": rms}
        tables[opt] = t
    if not tables:
        raise ResultsError(f"{sweep_file}: figure 14 needs muon or muonmd runs")
    adamw = [r for r in runs if r["config"]["optimizer"] == "adamw"]
    if adamw:  # "All common Muon scale-factor conventions clearly beat AdamW"
        t = sweep_table(adamw, lambda c: "AdamW")
        compared.update(best_runs(adamw, t, "g", lambda c: "AdamW"))
        tables["adamw"] = t
        verdicts += beats_adamw(float(t["loss"].min()), measured, shown, compared)
    premises, lines, learned = learns_premise(compared)
    verdicts, measured = lines + verdicts, {**measured, **learned}
    edge = [f"{o} {g}" for o, t in tables.items() for g in edge_optima(t, "g")[1]]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts.append(verdict(not edge, "every optimum inside the lr grid" if not edge else
                            f"optimum on the grid's edge for {edge}: extend the grid"))
    measured["at_edge"] = edge
    panels = {o: t for o, t in tables.items() if o != "adamw"}
    fig, axes = style.plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), sharey=True,
                                   squeeze=False)
    for ax, (opt, t) in zip(axes[0], panels.items()):
        if "adamw" in tables:  # AdamW's best, for reference (its lr is an absolute step)
            ax.axhline(tables["adamw"]["loss"].min(), color="grey", ls="--",
                       label="AdamW (λ, warmup), best lr")
        sweep_plot(t, "g", scale, "14", "Muon's shape-dependent scale factors", ax=ax,
                    xlabel=f"{opt}: matrix lr", label=lambda g: FACTORS.get(g, g))
    return style.finish(fig, f"kosson2026-figure-14_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)


def beats_adamw(adamw_best: float, measured: dict, shown: dict, compared: dict) -> list[str]:
    """Every optimizer's every factor's best loss below AdamW's best: the claim into `shown`,
    AdamW's best into `measured`, its verdict line (and a CAUSE beside the seed spread)."""
    factors = {f"{opt} {g}": v for opt, m in measured.items() for g, v in m["best_loss"].items()}
    worst = max(factors, key=factors.get)
    won = all_finite(adamw_best, *factors.values()) and factors[worst] < adamw_best
    shown["all_factors_beat_adamw"] = won
    measured["adamw_best_loss"] = adamw_best
    opt, factor = worst.split(" ")
    lines = [verdict(won, f"worst factor's best loss ({opt} {FACTORS.get(factor, factor)}) "
                          f"{factors[worst]:.4f} vs AdamW's best {adamw_best:.4f}")]
    if not won and all_finite(adamw_best, factors[worst]):
        lines.append(style.cause(gap_against_seeds(f"{worst} vs AdamW", compared[worst],
                                                   compared["AdamW"])))
    return lines
