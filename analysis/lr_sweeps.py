"""Learning-rate sweeps (Kosson Figs. 6–7, 12, 14, 16, 18): final held-out loss per (group,
lr), where the optimum sits on the grid, how far it moves, how flat the basin is, and the
premise every Kosson claim on trained runs checks first (the runs it compares learn).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.corrected import LEARNS_BY
from analysis.load import ResultsError
from analysis.seeds import final_loss

PAPER = "Kosson et al. 2026"
# Thresholds from the paper's wording, fixed before our runs: "the optimal matrix LR stays
# roughly fixed" = it moves by at most one grid step across the sizes swept.
MAX_OPTIMUM_SHIFT = 1

# Premise of every Kosson claim on trained runs, fixed before the runs: each run a claim
# compares learns, its final held-out loss below LEARNS_BY (the project's 0.8) of its loss
# before training. A byte-level GPT starts near ln 256 ≈ 5.5 and ends near 1.6; a claim
# between runs that stayed near their start says nothing about the optimizer. The start is
# the first logged row's train loss (step 0, taken before any update, so on bytes the model
# has not seen, as the held-out ones): the mini sweeps evaluate only at the end.
PREMISE = "compared_runs_learn"


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
    """({group: its best lr}, the groups (as str, in order) whose best lr is the first or last
    value of its own lr grid (groups may sweep different lrs, e.g. AdamW's absolute steps
    beside Muon's relative ones): there the optimum is only bounded. A one-value grid brackets
    nothing, and a group that diverged at every lr gets its first lr: both count as on the
    edge."""
    best, _ = optimum_shift(table, by)
    ends = {g: (t["lr"].min(), t["lr"].max()) for g, t in table.groupby(by)}
    return best, [str(g) for g in sorted(best) if best[g] in ends[g]]


def optima_finite(table: pd.DataFrame, by: str) -> bool:
    """Every group has a finite best loss: an optimum read off a group that diverged at every
    lr is the grid's first lr, and would let a shift of 0 pass vacuously."""
    return style.all_finite(table.groupby(by)["loss"].min())


def best_runs(runs: list[dict], table: pd.DataFrame, by: str, group_of=None,
              x: str = "lr") -> dict[str, list[dict]]:
    """{group (str): its runs (seeds) at its best `x`}: the runs a claim on best losses
    compares. `group_of(config)` is the group as `table[by]` holds it (default config[by])."""
    group_of = group_of or (lambda c: c[by])
    best, _ = optimum_shift(table, by)
    return {str(g): [r for r in runs if group_of(r["config"]) == g and r["config"][x] == v]
            for g, v in best.items()}


def learned_ratio(run: dict) -> float:
    """Final held-out loss over the loss before training: inf for a run that diverged or
    never evaluated, NaN if its start is not finite (both fail the premise)."""
    start = float(run["metrics"].sort_values("step")["loss"].iloc[0])
    return final_loss(run, "eval_loss") / start


def learns_premise(compared: dict[str, list[dict]]) -> tuple[dict, list[str], dict]:
    """The premise every Kosson claim on trained runs checks first: ({PREMISE: met}, its
    verdict line (+ a measured line of the seed-to-seed spread where a group has ≥ 2 seeds),
    measured). `compared`: {label: the runs (seeds) the claim compares}."""
    # np.max keeps a NaN (Python's max may not): a seed with no number fails the premise
    worst = {g: float(np.max([learned_ratio(r) for r in group])) for g, group in compared.items()}
    met = bool(worst) and all(v < LEARNS_BY for v in worst.values())
    listing = ", ".join(f"{g} {v:.2f}" for g, v in worst.items())
    lines = [style.premise(met, f"final held-out loss / loss before training (worst seed) of "
                                f"each compared run: {listing} (< {LEARNS_BY})")]
    measured = {"eval_loss_end_over_start": worst}
    with np.errstate(invalid="ignore"):  # a diverged seed (inf): the spread is NaN
        spread = {g: float(np.std([final_loss(r, "eval_loss") for r in group], ddof=1))
                  for g, group in compared.items() if len(group) >= 2}
    if spread:  # beside the gaps the claims judge: a gap below it is within seed noise
        lines.append(f"{'measured':9}  seed-to-seed std of the final held-out loss: "
                     + ", ".join(f"{g} {v:.4f} ({len(compared[g])} seeds)"
                                 for g, v in spread.items()))
        measured["seed_std_final_loss"] = spread
    return {PREMISE: met}, lines, measured


def per_seed_gaps(runs_a: list[dict], runs_b: list[dict]) -> list[float] | None:
    """a / b − 1 of the final held-out loss seed by seed, where both groups hold the same ≥ 2
    seeds once each (same seed: same data order and, one architecture, the same init); None
    otherwise."""
    def by_seed(runs):
        seeds = [r.get("config", {}).get("seed") for r in runs]
        if None in seeds or len(set(seeds)) != len(seeds):
            return None
        return {s: final_loss(r, "eval_loss") for s, r in zip(seeds, runs)}
    a, b = by_seed(runs_a), by_seed(runs_b)
    if a is None or b is None or set(a) != set(b) or len(a) < 2:
        return None
    with np.errstate(invalid="ignore"):
        return [float(a[s] / b[s] - 1) for s in sorted(a)]


def seed_gap(runs_a: list[dict], runs_b: list[dict],
             pair: bool = True) -> tuple[float, float | None, bool]:
    """(relative gap a / b − 1, its noise, paired). Paired where both groups ran the same
    seeds (per_seed_gaps; since 2026-12-07, fixed before the runs judged with it): the mean
    of the per-seed gaps and their std, so what a seed does to both groups cancels.
    Otherwise the gap between the seed means and the seed-to-seed std over both relative to
    their mean; None with one seed on a side. `pair=False`: the latter always."""
    paired = per_seed_gaps(runs_a, runs_b) if pair else None
    if paired is not None:
        return float(np.mean(paired)), float(np.std(paired, ddof=1)), True
    a, b = ([final_loss(r, "eval_loss") for r in runs] for runs in (runs_a, runs_b))
    with np.errstate(invalid="ignore"):  # diverged seeds (inf): the gap or spread is NaN
        gap = float(np.mean(a) / np.mean(b) - 1)
        if min(len(a), len(b)) < 2:
            return gap, None, False
        return gap, float(np.mean([np.std(a, ddof=1), np.std(b, ddof=1)]) / np.mean(a + b)), \
            False


def beyond_noise(runs_a: list[dict], runs_b: list[dict]) -> bool:
    """Whether a is below b by more than the noise seed_gap sets beside it ("judge on mean ±
    std"); a gap with one seed on a side has no spread to set it beside and stands as it
    is."""
    gap, spread, _ = seed_gap(runs_a, runs_b)
    return spread is None or (gap < 0 and -gap > spread)


def gap_against_seeds(name: str, runs_a: list[dict], runs_b: list[dict],
                      pair: bool = True) -> str:
    """A comparison set beside chance: `name`'s relative gap (seed_gap) and its noise, or that
    one seed leaves it unmeasured."""
    gap, spread, paired = seed_gap(runs_a, runs_b, pair)
    if spread is None:
        return f"{name}: gap {gap:+.2%} with one seed, so the seed-to-seed spread is unmeasured"
    within = "within" if not abs(gap) > spread else "beyond"
    n = min(len(runs_a), len(runs_b))
    if paired:
        return (f"{name}: per-seed gap mean {gap:+.2%}, std {spread:.2%} ({n} seeds, "
                f"paired): {within} seed noise")
    return f"{name}: gap {gap:+.2%}, seed-to-seed std {spread:.2%} ({n} seeds): {within} seed noise"


def best_beats(best, compared: dict[str, list[dict]],
               claims: dict[str, tuple[str, str]]) -> tuple[dict, list[str]]:
    """({claim: shown}, verdict lines) for claims "winner's best held-out loss < loser's",
    `claims` {name: (winner, loser)} in groups of `best`: a tie is no win, nor is a lead
    within the seed-to-seed spread of `compared`'s runs; the gap is set beside that spread
    (a CAUSE line when the claim fails, a measured one when it holds on ≥ 2 seeds)."""
    shown, lines = {}, []
    for claim, (winner, loser) in claims.items():
        ahead = style.all_finite(best[winner], best[loser]) and best[winner] < best[loser]
        won = bool(ahead and beyond_noise(compared[winner], compared[loser]))
        shown[claim] = won
        lines.append(style.verdict(won, f"best held-out loss {winner} {best[winner]:.4f} vs "
                                        f"{loser} {best[loser]:.4f} (lower, beyond seed noise)"))
        gap = gap_against_seeds(f"{winner} vs {loser}", compared[winner], compared[loser])
        if not won:
            lines.append(style.cause(gap))
        elif seed_gap(compared[winner], compared[loser])[1] is not None:  # ≥ 2 seeds
            lines.append(f"{'measured':9}  {gap}")
    return shown, lines


def compare_optimizers(sweep_file, runs: list[dict], labels: dict[str, str], figure: str,
                       claims: dict[str, tuple[str, str]]) -> dict:
    """Optimizers each at its best lr (Kosson Figs. 11, 15): `labels` {optimizer: curve name},
    `claims` {name: (winner, loser) curve names} as in best_beats. Returns table (column "g"
    the curve), best, compared, premises, verdicts (premise, claims, grid edge), shown,
    measured."""
    def label_of(config: dict) -> str:
        if config["optimizer"] not in labels:
            raise ResultsError(f"figure {figure} has no place for optimizer "
                               f"{config['optimizer']}")
        return labels[config["optimizer"]]
    table = sweep_table(runs, label_of)
    best = table.groupby("g")["loss"].min()
    missing = [name for name in labels.values() if name not in best]
    if missing:
        raise ResultsError(f"{sweep_file}: figure {figure} needs runs for {', '.join(missing)}")
    compared = best_runs(runs, table, "g", label_of)
    premises, verdicts, learned = learns_premise(compared)
    shown, lines = best_beats(best, compared, claims)
    edge = edge_optima(table, "g")[1]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts += lines + [style.verdict(not edge, "every optimum inside its lr grid" if not edge
                                       else f"optimum on the grid's edge for {edge}: extend "
                                       "the grid")]
    measured = {"best_loss": {g: float(v) for g, v in best.items()}, "at_edge": edge, **learned}
    return {"table": table, "best": best, "compared": compared, "premises": premises,
            "verdicts": verdicts, "lines": lines, "shown": shown, "measured": measured}
