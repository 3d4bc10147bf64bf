"""Seeds and settings: average a group's runs over seeds (NaN-aware), pick each optimizer's
best setting the way the papers plot it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.equilibrium import norms_over_time


def final_loss(run: dict, column: str | None = None) -> float:
    """A run's final loss: its last row holds the final eval (`column`; default eval_loss, or
    the train loss of a run that never evaluated). A diverged run (NaN) is infinitely bad."""
    m = run["metrics"]
    column = column or ("eval_loss" if m["eval_loss"].notna().any() else "loss")
    return float(np.nan_to_num(m[column].iloc[-1], nan=np.inf))


def best_setting(scores: dict, lower_is_better: bool = True):
    """The key whose seeds score best on average: the one picker behind every "at its best
    setting" (a figure's optimizer, a table's cell). A key with no scores or a NaN mean loses;
    ties keep the first key (the sweep's order)."""
    def badness(key) -> float:
        mean = float(np.mean(scores[key])) if len(scores[key]) else np.nan
        return np.inf if np.isnan(mean) else (mean if lower_is_better else -mean)
    return min(scores, key=badness)


def setting_groups(runs: list[dict]) -> dict[tuple, list[dict]]:
    """Runs that differ only in their seed, grouped (config minus seed and run id)."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        key = tuple(sorted((k, str(v)) for k, v in run["config"].items()
                           if k not in ("seed", "run_id")))
        groups.setdefault(key, []).append(run)
    return groups


def best_per_optimizer(runs: list[dict]) -> dict[str, list[dict]]:
    """The paper plots each optimizer at its best hyperparameters, averaged over seeds: the
    seed group with the lowest mean final loss, per optimizer."""
    by_optimizer: dict[str, dict[tuple, list[float]]] = {}
    groups = setting_groups(runs)
    for key, group in groups.items():
        scores = by_optimizer.setdefault(group[0]["config"]["optimizer"], {})
        scores[key] = [final_loss(r) for r in group]
    return {name: groups[best_setting(scores)] for name, scores in by_optimizer.items()}


def seed_mean(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean over seeds per index (step); NaN where any seed is NaN, so one diverged seed is
    not averaged away by the others."""
    both = pd.concat(frames)
    return both.groupby(level=0).mean().mask(both.isna().groupby(level=0).any())


def seed_groups(runs: list[dict], label, norms=norms_over_time) -> dict[str, dict]:
    """Runs grouped by `label(config)`, each seed-averaged: {"runs", "config", "seeds",
    "metrics" (indexed by step), "norms" (`norms(layers)` per step)}."""
    grouped: dict[str, list[dict]] = {}
    for run in runs:
        grouped.setdefault(label(run["config"]), []).append(run)
    return {name: {"runs": group, "config": group[0]["config"], "seeds": len(group),
                   "metrics": seed_mean([r["metrics"].set_index("step") for r in group]),
                   "norms": seed_mean([norms(r["layers"]) for r in group])}
            for name, group in grouped.items()}
