"""`--set key=value` and `--only key=value`: try a change, or run a slice, without copying the
sweep file.

`--set` rewrites the sweep before it is expanded, so the same schema checks every value and an
overridden run gets its own content-addressed id (cached like any other, never colliding):
- `lr=0.2` gives every run lr 0.2 (an lr grid or zip column is replaced by the one value);
- `grid.seed=[0,1,2]` adds (or replaces) a grid axis; `zip.lr=[...]` replaces a zip column of
  the same length.
Values are YAML (`0.2`, `[0, 1]`, `null`, `adamc`). `--only` keeps the runs whose resolved
config has the given values (several: all of them).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from .sweep import SweepError, check_keys, config_class


def parse_assignments(items: list[str] | None, flag: str) -> dict[str, Any]:
    """['lr=0.2', 'grid.seed=[0,1]'] -> {'lr': 0.2, 'grid.seed': [0, 1]}."""
    parsed = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise SweepError(f"{flag} {item!r}: expected key=value (e.g. {flag} lr=0.2)")
        try:
            parsed[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise SweepError(f"{flag} {item!r}: the value is not YAML ({e.problem})") from None
    return parsed


def apply_overrides(sweep: dict, scale: str, sets: dict[str, Any]) -> dict:
    """A copy of the loaded sweep with `sets` applied to its `scale` block."""
    if not sets:
        return sweep
    sweep, path = copy.deepcopy(sweep), sweep["_path"]
    keys = tuple(config_class(sweep).model_fields)
    block = sweep.setdefault("scales", {}).setdefault(scale, {})
    # the axes this scale expands over, made explicit in its block so they can be edited
    for kind in ("grid", "zip"):
        block[kind] = dict(block[kind] if kind in block else (sweep.get(kind) or {}))
    for key, value in sets.items():
        kind, _, name = key.rpartition(".")
        if kind not in ("", "grid", "zip"):
            raise SweepError(f"{path}: --set {key}: allowed forms: KEY=VALUE, grid.KEY=[...], "
                             "zip.KEY=[...]")
        check_keys(path, f"--set {kind + '.' if kind else ''}", {name: value}, keys)
        if kind and (not isinstance(value, list) or not value):
            raise SweepError(f"{path}: --set {key}: must be a non-empty list, e.g. "
                             f"{key}=[0,1,2]")
        if kind == "zip" and block["zip"] and len(value) != len(next(iter(block["zip"].values()))):
            raise SweepError(f"{path}: --set {key}: {len(value)} values for a zip of "
                             f"{len(next(iter(block['zip'].values())))}")
        if kind:
            other = "zip" if kind == "grid" else "grid"
            if name in block[other]:
                raise SweepError(f"{path}: --set {key}: {name} is a {other} axis of this "
                                 f"sweep; set it as {other}.{name}=[...] or as {name}=VALUE")
            block[kind][name] = value
        else:  # one value for every run: the axis it was on goes
            block["grid"].pop(name, None)
            block["zip"].pop(name, None)
            block[name] = value
    return sweep


def select(runs: list, only: dict[str, Any], path: str) -> list:
    """The runs whose config has every `only` value; an error naming the values there are
    when none matches (a typo must not silently select nothing)."""
    if not only:
        return runs
    if runs:
        check_keys(path, "--only ", only, tuple(type(runs[0].config).model_fields))
    kept = [r for r in runs if all(getattr(r.config, k) == v for k, v in only.items())]
    if not kept:
        present = {k: sorted({repr(getattr(r.config, k)) for r in runs}) for k in only}
        raise SweepError(f"{path}: --only matches no run; values in the sweep: "
                         + "; ".join(f"{k}: {', '.join(v)}" for k, v in present.items()))
    return kept
