"""The interactive half of the results page (analysis/results_page.py), per sweep: its runs'
curves as one plotly figure and its run index (RESULTS/<sweep>/<scale>/runs.parquet) as a
table.

The figure has a trace per run and panel; a run's traces share a colour and a legend group,
so one legend click hides the run in every panel, and hovering names the run id and the
hyperparameters that vary across the sweep. Long runs are thinned to MAX_POINTS per trace,
which keeps a page of every artifact at a few MB.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from harness.legacy_folders import stored_run_dir
from harness.runfolder import LAYERS, METRICS, NORMS, ResultsError, is_complete, read_frame
from harness.sweep import SimConfig, SweepError, expand

MAX_POINTS = 300
SPARSE = 30  # a trace this short (evals) gets markers: a run evaluated once is still seen
# What each panel plots: (title, table, column); "weight_norm" is the whole-model ‖w‖.
TRAIN_PANELS = (("train loss", METRICS, "loss"), ("eval loss", METRICS, "eval_loss"),
                ("‖w‖, normalized layers (all if none)", LAYERS, "weight_norm"),
                ("learning rate", METRICS, "lr"))
SIMULATION_PANELS = (("‖θ‖", NORMS, "norm"), ("expected ‖θ‖ (theory)", NORMS, "expected_norm"),
                     ("learning rate", NORMS, "lr"))
# Index columns shown after the varying hyperparameters (harness/index.py's RUN_COLUMNS)
RESULT_COLUMNS = ("steps_done", "final_loss", "final_eval_loss", "final_eval_accuracy",
                  "seconds", "code")
NOT_CONFIG = {"run_id", "sweep", "scale", "state", "folder", *RESULT_COLUMNS}


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True,
                                                                    default=str)


def varying_keys(configs: list[dict]) -> list[str]:
    """Config keys whose value differs between runs, in config order: what tells runs apart."""
    keys = list(dict.fromkeys(k for c in configs for k in c))
    return [k for k in keys if any(not _same(c.get(k), configs[0].get(k)) for c in configs)]


def fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def label(config: dict, keys: list[str], run_id: str) -> str:
    return " ".join(f"{k}={fmt(config.get(k)) or 'none'}" for k in keys) or run_id


def thin(x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """≤ MAX_POINTS evenly spaced points, the first and last kept; 5 significant digits and
    null for a non-finite value (JSON has no NaN; plotly draws a gap)."""
    keep = ~np.isnan(y)  # not logged at that step (eval_loss); an inf stays, as a gap
    x, y = x[keep], y[keep]
    if len(x) > MAX_POINTS:
        index = np.unique(np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(int))
        x, y = x[index], y[index]
    return ([int(v) for v in x],
            [float(f"{v:.5g}") if math.isfinite(v) else None for v in y])


def _series(frames: dict, table: str, column: str) -> tuple[np.ndarray, np.ndarray] | None:
    frame = frames.get(table)
    if frame is None or column not in frame:
        return None
    if table == LAYERS:  # one row per (step, layer): the model's norm per step
        use = frame[frame["normalized"].fillna(False).astype(bool)]
        use = use if len(use) else frame
        total = (use[column].astype(float) ** 2).groupby(use["step"]).sum() ** 0.5
        return total.index.to_numpy(), total.to_numpy()
    values = frame[column].astype(float)
    return frame["step"].to_numpy(), values.to_numpy()


def load_curves(sweep_file: str, scale: str, results: str) -> tuple[list[dict], bool]:
    """The sweep's complete runs: [{run_id, config, frames}], and whether it simulates. A run
    that cannot be read is left out here (the figure's own draw reports it)."""
    runs = expand(sweep_file, scale)
    simulation = bool(runs) and isinstance(runs[0].config, SimConfig)
    tables = (NORMS,) if simulation else (METRICS, LAYERS)
    loaded = []
    for run in runs:
        folder = stored_run_dir(results, run)
        if not is_complete(folder):
            continue
        frames = {}
        for table in tables:
            if (folder / table).is_file():
                try:
                    frames[table] = read_frame(folder / table)
                except ResultsError:
                    continue
        if frames:
            loaded.append({"run_id": run.run_id, "frames": frames,
                           "config": run.config.model_dump(mode="json")})
    return loaded, simulation


def _palette() -> list[str]:
    """Dark24 then Light24: 48 runs told apart before a colour repeats."""
    from plotly.colors import qualitative

    return list(qualitative.Dark24) + list(qualitative.Light24)


def curves_figure(runs: list[dict], simulation: bool) -> dict | None:
    """The plotly figure (as JSON-ready dict) of these runs; None when there is nothing."""
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.subplots import make_subplots

    panels = SIMULATION_PANELS if simulation else TRAIN_PANELS
    rows = math.ceil(len(panels) / 2)
    fig = make_subplots(rows=rows, cols=2, subplot_titles=[p[0] for p in panels],
                        horizontal_spacing=0.08, vertical_spacing=0.12)
    keys, colors, drawn = varying_keys([r["config"] for r in runs]), _palette(), 0
    names = [label(r["config"], keys, r["run_id"]) for r in runs]
    for i, (run, name) in enumerate(zip(runs, names)):
        legend = True  # on the run's first drawn trace only: one legend entry per run
        for p, (title, table, column) in enumerate(panels):
            series = _series(run["frames"], table, column)
            if series is None or not len(series[0]):
                continue
            x, y = thin(*series)
            if not any(v is not None for v in y):
                continue
            fig.add_trace(go.Scatter(
                x=x, y=y, mode="lines" if len(x) > SPARSE else "lines+markers", name=name,
                legendgroup=run["run_id"],
                showlegend=legend, meta=run["run_id"],
                line={"color": colors[i % len(colors)], "width": 1.5},
                hovertemplate=(f"<b>{name}</b><br>run {run['run_id']}<br>{title}: %{{y:.4g}}"
                               " at step %{x}<extra></extra>")),
                row=p // 2 + 1, col=p % 2 + 1)
            legend, drawn = False, drawn + 1
    if not drawn:
        return None
    # The legend goes under the panels, which keep the page's width; the figure grows by its
    # rows (~7 px a character at font size 11, ~1100 px a row).
    legend_rows = math.ceil(sum(7 * len(n) + 40 for n in names) / 1100)
    fig.update_layout(template="none", height=330 * rows + 60 + 20 * legend_rows,
                      margin={"l": 60, "r": 20, "t": 40, "b": 40}, hovermode="closest",
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.06,
                              "yanchor": "top", "font": {"size": 11},
                              "title": {"text": "click a run to hide it; double-click to "
                                                "show it alone", "side": "top"}})
    # simulations of one sweep last 66 to 700k steps (one count of half-lives, lr·λ apart)
    fig.update_xaxes(title_text="step", title_standoff=4, type="log" if simulation else None)
    return json.loads(pio.to_json(fig, validate=False))


def sweep_curves(sweep_file: str, scale: str, results: str) -> dict | None:
    try:
        runs, simulation = load_curves(sweep_file, scale, results)
    except SweepError:
        return None
    return curves_figure(runs, simulation) if runs else None


def runs_table(sweep_file: str, scale: str, results: str) -> dict | None:
    """The sweep's runs, one row each in sweep order: the index's row where it has one
    (state, config, final metrics), else the config and done / todo. Returns {columns, rows,
    fixed (config keys equal in every run), indexed (rows found in runs.parquet)}."""
    try:
        runs = expand(sweep_file, scale)
    except SweepError:
        return None
    if not runs:
        return None
    index = Path(results) / runs[0].sweep / scale / "runs.parquet"
    indexed = {}
    if index.is_file():
        try:
            frame = pd.read_parquet(index)
            indexed = {r["run_id"]: r for r in frame.to_dict("records")}
        except (OSError, ValueError):
            pass  # unreadable: the rows below come from the sweep file alone
    rows = []
    for run in runs:
        row = indexed.get(run.run_id)
        if row is None:
            done = is_complete(stored_run_dir(results, run))
            row = {"run_id": run.run_id, "state": "done (not indexed)" if done else "todo",
                   **run.config.model_dump(mode="json")}
        rows.append({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()})
    configs = [{k: v for k, v in r.items() if k not in NOT_CONFIG} for r in rows]
    keys = varying_keys(configs)
    fixed = {k: v for k, v in configs[0].items()
             if k not in keys and v is not None and not (isinstance(v, float) and math.isnan(v))}
    columns = ["run_id", "state", *keys,
               *(c for c in RESULT_COLUMNS if any(fmt(r.get(c)) for r in rows))]
    return {"columns": columns, "rows": rows, "fixed": fixed,
            "indexed": sum(r["run_id"] in indexed for r in rows), "index": str(index)}
