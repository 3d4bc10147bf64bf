"""Kosson et al. 2026, "MD decoupling", appendix sweeps: Figures 12 (the lr groups held fixed),
14 (Muon's shape factors), 16 (block-output scale across depth) and 18 (gain dynamics).

Losses are final held-out losses as in `kosson2026` (whose helpers these reuse); a diverged
run counts as infinitely bad. Every threshold below was fixed from the captions' wording
before any run of these sweeps.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import style
from .kosson2026 import (
    MAX_OPTIMUM_SHIFT,
    PAPER,
    _sweep_plot,
    edge_optima,
    final_losses,
    optima_finite,
    optimum_shift,
)
from .load import ResultsError, load_runs
from .style import all_finite, verdict

# Fig. 12 "essentially flat in the gains LR over more than an order of magnitude": a contiguous
# gains-lr range around the best, spanning > 10×, with every loss within 1 % of the best.
FLAT_TOLERANCE = 0.01
FLAT_SPAN = 10.0
# Fig. 12 "the matrix LR is the most important [...]: the loss is broad in the other groups":
# the worst relative excess loss within ×4 (two ×2 grid steps) of each group's optimum is
# largest for the matrix lr.
BROAD_WINDOW = 4.0
# Fig. 14 "best and nearly identical [...] RMS-matching noticeably worse": the two √ factors'
# best losses within 0.5 % of each other, RMS-matching's more than 0.5 % above the better one.
NEARLY_IDENTICAL = 0.005
# Fig. 18 "spread over more than an order of magnitude": largest / smallest gain > 10.
SPREAD = 10.0

FACTORS = {  # muon_adjust_lr -> the paper's name for the factor
    "spectral_unclamped": "√(d_out/d_in)",
    "original": "max(1, √(d_out/d_in))",
    "match_rms_adamw": "RMS-matching 0.2·√max(d_out, d_in)",
    "none": "1",
}
SQRT_FACTORS = ("spectral_unclamped", "original")
ALPHAS = {"inverse_depth": "α = 1/L", "inverse_sqrt_2depth": "α = √(1/(2L))"}
# harness/optim/md.py's GAIN_PARAMETERIZATIONS in numpy (that module imports torch; analysis
# must not): tests/test_md.py checks the two agree.
GAIN_OF = {"identity": lambda x: x, "exp": np.exp, "softplus": lambda x: np.logaddexp(0.0, x)}
# The gain tensors of an MD matrix. A rank-k gain's factors A, B (rank_a, rank_b) are kind
# "gain" too (Adam at gains_lr) and get value_min/max logged, but are not gains.
GAIN_TENSORS = ("scalar", "row", "col")


def sweep_table(runs: list[dict], group_of, x: str = "lr") -> pd.DataFrame:
    """`final_losses` with any swept key as x (column "lr") and any grouping (column "g")."""
    mapped = [{**r, "config": {"g": group_of(r["config"]), "lr": r["config"][x]}}
              for r in runs]
    return final_losses(mapped, "g")


def penalty(table: pd.DataFrame, window: float = BROAD_WINDOW) -> float:
    """Worst relative excess loss over the grid points within ×window of the optimum."""
    best = table.loc[table["loss"].idxmin()]
    if not np.isfinite(best["loss"]):  # diverged at every lr: no optimum to be broad around
        return math.nan
    near = table[np.abs(np.log(table["lr"] / best["lr"])) <= math.log(window) + 1e-9]
    return float((near["loss"] / best["loss"]).max() - 1.0)


def flat_span(table: pd.DataFrame, tolerance: float = FLAT_TOLERANCE) -> tuple[float, float]:
    """(lowest, highest) lr of the contiguous run around the optimum within `tolerance`."""
    t = table.sort_values("lr").reset_index(drop=True)
    if not np.isfinite(t["loss"].min()):  # diverged at every lr: flat at inf is not flat
        return math.nan, math.nan
    limit = t["loss"].min() * (1.0 + tolerance)
    lo = hi = int(t["loss"].idxmin())
    while lo > 0 and t["loss"][lo - 1] <= limit:
        lo -= 1
    while hi < len(t) - 1 and t["loss"][hi + 1] <= limit:
        hi += 1
    return float(t["lr"][lo]), float(t["lr"][hi])


def figure12(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD lr sweeps of the matrix lr, the AdamW base lr and the gains lr around one
    centre (the gains segment's lr and adam_lr): the matrix lr matters most; gains lr flat."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    gains = [r for r in runs if r["config"]["gains_lr"] is not None]
    if not gains:
        raise ResultsError(f"{sweep_file}: figure 12 needs runs with gains_lr set")
    lr0, adam0 = gains[0]["config"]["lr"], gains[0]["config"]["adam_lr"]
    shared = [r for r in runs if r["config"]["gains_lr"] is None]
    segments = {  # name -> (runs, swept key)
        "matrix lr": ([r for r in shared if r["config"]["adam_lr"] == adam0], "lr"),
        "adam lr": ([r for r in shared if r["config"]["lr"] == lr0], "adam_lr"),
        "gains lr": ([r for r in gains if (r["config"]["lr"], r["config"]["adam_lr"])
                      == (lr0, adam0)], "gains_lr"),
    }
    tables = {}
    for name, (members, key) in segments.items():
        if len({r["config"][key] for r in members}) < 2:
            raise ResultsError(f"{sweep_file}: figure 12 needs ≥ 2 values of {key} around "
                               f"lr {lr0}, adam_lr {adam0}")
        tables[name] = sweep_table(members, lambda c, n=name: n, key)
    pen = {name: penalty(t) for name, t in tables.items()}
    lo, hi = flat_span(tables["gains lr"])
    edge = edge_optima(tables["matrix lr"], "g")[1] + edge_optima(tables["adam lr"], "g")[1]
    # max() drops a NaN (a segment that diverged at every lr) unless it comes first: fail.
    shown = {"matrix_lr_matters_most": not np.isnan(list(pen.values())).any()
             and pen["matrix lr"] > max(pen["adam lr"], pen["gains lr"]),
             "flat_in_gains_lr": hi / lo > FLAT_SPAN,
             "optima_inside_the_lr_grid": not edge}
    worst = ", ".join(f"{k} {100 * v:.2f} %" for k, v in pen.items())
    verdicts = [
        verdict(shown["matrix_lr_matters_most"], f"worst excess loss within ×{BROAD_WINDOW:g} "
                f"of each optimum: {worst} (matrix lr must be largest)"),
        verdict(shown["flat_in_gains_lr"], f"gains lr {lo:g}–{hi:g} ({hi / lo:.0f}×) within "
                f"{100 * FLAT_TOLERANCE:g} % of the best (need > {FLAT_SPAN:g}×)"),
        verdict(shown["optima_inside_the_lr_grid"], "matrix- and adam-lr optima inside their "
                "grids" if not edge else f"optimum on the grid's edge for {edge}: extend it")]
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    for ax, (name, t) in zip(axes, tables.items()):
        _sweep_plot(t, "g", scale, "12", "MuonMD: lr sweeps of the groups held fixed", ax=ax,
                    xlabel=name, label=lambda g: f"lr {lr0:g}, adam_lr {adam0:g} (centre)")
    best = {n: float(t.loc[t["loss"].idxmin(), "lr"]) for n, t in tables.items()}
    measured = {"excess_loss_within_window": pen, "best_lr": best,
                "gains_lr_flat_range": [lo, hi], "at_edge": edge,
                "centre": {"lr": lr0, "adam_lr": adam0}}
    return style.finish(fig, f"kosson2026_fig12_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02)


def figure14(sweep_file, scale: str, results, out_dir) -> dict:
    """Matrix-lr sweeps per Muon shape factor, plain Muon and MuonMD: the two √ factors are
    best and nearly identical; RMS-matching is noticeably worse."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    optimizers = [o for o in ("muon", "muonmd") if any(r["config"]["optimizer"] == o
                                                       for r in runs)]
    shown, measured, verdicts, tables = {}, {}, [], {}
    for opt in optimizers:
        t = sweep_table([r for r in runs if r["config"]["optimizer"] == opt],
                        lambda c: c["muon_adjust_lr"])
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
        measured[opt] = {"best_loss": {g: float(v) for g, v in best.items()},
                         "sqrt_gap": gap, "rms_excess": rms}
        tables[opt] = t
    if not tables:
        raise ResultsError(f"{sweep_file}: figure 14 needs muon or muonmd runs")
    edge = [f"{o} {g}" for o, t in tables.items() for g in edge_optima(t, "g")[1]]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts.append(verdict(not edge, "every optimum inside the lr grid" if not edge else
                            f"optimum on the grid's edge for {edge}: extend the grid"))
    measured["at_edge"] = edge
    fig, axes = style.plt.subplots(1, len(tables), figsize=(6 * len(tables), 4), sharey=True,
                                   squeeze=False)
    for ax, (opt, t) in zip(axes[0], tables.items()):
        _sweep_plot(t, "g", scale, "14", "Muon's shape-dependent scale factors", ax=ax,
                    xlabel=f"{opt}: matrix lr", label=lambda g: FACTORS.get(g, g))
    return style.finish(fig, f"kosson2026_fig14_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02)


def figure16(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD matrix-lr sweeps across depth for α = 1/L and √(1/(2L)): the optimum stays within
    one grid step for both; √(1/(2L)) is no worse at any depth."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    found = {r["config"]["block_output_scale"] for r in runs}
    if not set(ALPHAS) <= found:
        raise ResultsError(f"{sweep_file}: figure 16 needs block_output_scale "
                           f"{' and '.join(ALPHAS)}; found {', '.join(sorted(found))}")
    tables, shifts, bests, shown = {}, {}, {}, {}
    for alpha in ALPHAS:
        t = sweep_table([r for r in runs if r["config"]["block_output_scale"] == alpha],
                        lambda c: c["depth"])
        bests[alpha], shifts[alpha] = optimum_shift(t, "g")
        shown[f"{alpha}_lr_transfers_across_depth"] = optima_finite(t, "g") and \
            shifts[alpha] <= MAX_OPTIMUM_SHIFT
        tables[alpha] = t
    loss = {a: t.groupby("g")["loss"].min() for a, t in tables.items()}
    sqrt, inv = loss["inverse_sqrt_2depth"], loss["inverse_depth"]
    depths = sorted(set(sqrt.index) & set(inv.index))
    worse = [d for d in depths if sqrt[d] > inv[d]]
    # inf > inf is False: a depth where both diverged must fail the claim, not pass it
    diverged = [d for d in depths if not all_finite(sqrt[d], inv[d])]
    shown["sqrt_scale_no_worse"] = bool(depths) and not worse and not diverged
    edge = [f"{ALPHAS[a]} depth {g}" for a, t in tables.items() for g in edge_optima(t, "g")[1]]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts = [verdict(shown[f"{a}_lr_transfers_across_depth"], f"{ALPHAS[a]}: best lr per "
                        f"depth {bests[a]}, moves {shifts[a]} step(s) (≤ {MAX_OPTIMUM_SHIFT})")
                for a in ALPHAS]
    pairs = ", ".join(f"L={d}: {sqrt[d]:.4f} vs {inv[d]:.4f}" for d in depths)
    verdicts += [verdict(shown["sqrt_scale_no_worse"], f"best loss √(1/(2L)) vs 1/L: {pairs}"),
                 verdict(not edge, "every optimum inside the lr grid" if not edge else
                         f"optimum on the grid's edge for {edge}: extend the grid")]
    fig, ax = style.plt.subplots(figsize=(7, 4.4))
    colors = {d: f"C{i}" for i, d in enumerate(sorted(set(sqrt.index) | set(inv.index)))}
    for alpha, t in tables.items():
        dashed = alpha == "inverse_sqrt_2depth"
        _sweep_plot(t, "g", scale, "16", "MuonMD: block-output scale across depth", ax=ax,
                    xlabel="matrix lr", label=lambda g, a=alpha: f"L={g}, {ALPHAS[a]}",
                    styles=lambda g, d=dashed: {"color": colors[g], "ls": "--" if d else "-"})
    measured = {"best_lr": {a: {str(k): v for k, v in b.items()} for a, b in bests.items()},
                "shift": shifts, "at_edge": edge, "sqrt_worse_at_depths": worse,
                "diverged_at_depths": diverged,
                "best_loss": {a: {str(k): float(v) for k, v in s.items()} for a, s in loss.items()}}
    return style.finish(fig, f"kosson2026_fig16_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02)


def gain_extremes(run: dict) -> pd.DataFrame:
    """Per logged step and matrix of the middle block: smallest and largest gain (raw extremes
    mapped through the run's parameterization), their ratio (NaN once a gain is ≤ 0 or not
    finite) and `finite` (every gain of the matrix finite: False once they diverged)."""
    layers = run["layers"]
    if "value_min" not in layers or layers["value_min"].isna().all():
        raise ResultsError(f"{run['folder']}: no gain extremes in layers.parquet (logged before "
                           "value_min/value_max existed, or no MD gains): re-run it")
    middle = f"blocks.{run['config']['depth'] // 2}."
    name = layers["layer"].astype(str)
    rows = layers[(layers["kind"] == "gain") & name.str.startswith(middle)
                  & name.str.rpartition(".")[2].isin(GAIN_TENSORS)].copy()
    to_gain = GAIN_OF[run["config"]["gain_param"]]
    rows["matrix"] = rows["layer"].astype(str).str.partition(".parametrizations.weight.")[0] \
        .str.removeprefix(middle)
    with np.errstate(over="ignore"):  # exp of a huge raw gain: inf, reported as not finite
        rows["low"], rows["high"] = to_gain(rows["value_min"]), to_gain(rows["value_max"])
    rows["finite"] = np.isfinite(rows["low"]) & np.isfinite(rows["high"])
    out = rows.groupby(["step", "matrix"], as_index=False).agg(
        low=("low", "min"), high=("high", "max"), finite=("finite", "all"))
    # Spread per gain tensor, then the largest over the matrix's tensors (row and column).
    rows["spread"] = np.where(rows["finite"] & (rows["low"] > 0), rows["high"] / rows["low"],
                              np.nan)
    spread = rows.groupby(["step", "matrix"], as_index=False)["spread"].agg(
        lambda s: s.max() if s.notna().all() else np.nan)
    return out.merge(spread, on=["step", "matrix"])


def figure18(sweep_file, scale: str, results, out_dir) -> dict:
    """Gain dynamics: in the middle block every matrix's gains end spread over > 10×
    (runs whose gains cross zero, possible with the identity parameterization, are said;
    runs whose gains are not finite fail the claim)."""
    runs = load_runs(sweep_file, scale, results, tables=("layers",))
    final, crossed, diverged = {}, [], []
    fig, axes = style.plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.8), squeeze=False)
    for ax, run in zip(axes[0], runs):
        param = run["config"]["gain_param"]
        g = gain_extremes(run)
        last = g[g["step"] == g["step"].max()].set_index("matrix")
        if not last["finite"].all():
            diverged.append(param)
        elif last["spread"].isna().any():
            crossed.append(param)
        else:
            final[param] = {m: float(v) for m, v in last["spread"].items()}
        for i, (matrix, t) in enumerate(g.groupby("matrix")):
            ax.plot(t["step"], t["high"], color=f"C{i}", label=matrix)
            ax.plot(t["step"], t["low"], color=f"C{i}", ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"gain_param {param} (solid max, dashed min)", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("gain, middle block")
    small = {p: [m for m, v in s.items() if v <= SPREAD] for p, s in final.items()}
    shown = {"gains_spread_over_10x": bool(final) and not any(small.values()) and not diverged}
    spreads = "; ".join(f"{p} {min(s.values()):.1f}× ({min(s, key=s.get)})"
                        for p, s in final.items())
    verdicts = [verdict(shown["gains_spread_over_10x"], f"smallest final max/min gain over the "
                        f"middle block's matrices (need > {SPREAD:g}×): "
                        f"{spreads or 'no run with positive gains'}"
                        + (f"; gains not finite (diverged): {diverged}" if diverged else ""))]
    if crossed:
        verdicts.append(f"NOTE       gains crossed zero (no ratio; left out): {crossed}")
    fig.suptitle(style.title(PAPER, "18", scale, "MuonMD: gain dynamics"), fontsize=10)
    measured = {"final_spread": final, "crossed_zero": crossed, "not_finite": diverged}
    return style.finish(fig, f"kosson2026_fig18_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02)
