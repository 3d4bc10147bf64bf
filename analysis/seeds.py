"""Seeds and settings: average a group's runs over seeds (NaN-aware), pick each optimizer's
best setting the way the papers plot it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.equilibrium import norms_over_time


def best_per_optimizer(runs: list[dict]) -> dict[str, list[dict]]:
    """The paper plots each optimizer at its best hyperparameters, averaged over seeds: group
    runs by config minus seed, keep the group with the lowest mean final eval (else train)
    loss per optimizer."""
    def final(run):  # the last row holds the final eval; diverged (NaN) = infinitely bad
        m = run["metrics"]
        column = "eval_loss" if m["eval_loss"].notna().any() else "loss"
        return np.nan_to_num(m[column].iloc[-1], nan=np.inf)
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        key = tuple(sorted((k, str(v)) for k, v in run["config"].items()
                           if k not in ("seed", "run_id")))
        groups.setdefault(key, []).append(run)
    best: dict[str, list[dict]] = {}
    for group in groups.values():
        name = group[0]["config"]["optimizer"]
        score = np.mean([final(r) for r in group])
        if name not in best or score < np.mean([final(r) for r in best[name]]):
            best[name] = group
    return best


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
