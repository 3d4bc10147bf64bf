"""Shared figure conventions: titles name paper, figure and scale; files go to one folder."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # figures are files; no display on clusters or CI
import matplotlib.pyplot as plt  # noqa: E402

THEORY_COLOR = "#8b0000"  # the papers draw the prediction in dark red


def title(paper: str, figure: str, scale: str, what: str) -> str:
    return f"{paper}, Fig. {figure} — {what}  [{scale} scale]"


def save(fig, out_dir: str | Path, stem: str) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{stem}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths


def verdict(shown: bool, text: str) -> str:
    """One line of a figure's claim check: SHOWN / NOT SHOWN and what was measured."""
    return f"{'SHOWN    ' if shown else 'NOT SHOWN'}  {text}"


def verdict_lines(shown: dict, texts: dict) -> list[str]:
    """One verdict line per claim, in `texts`' order: {claim: what was measured}."""
    return [verdict(shown[claim], text) for claim, text in texts.items()]


def premise(met: bool, text: str) -> str:
    """One line of what a claim needs before it can be judged (e.g. the model learns)."""
    return f"{'PREMISE MET    ' if met else 'PREMISE NOT MET'}  {text}"


def cause(text: str) -> str:
    """A measured reason a claim failed, printed under its NOT SHOWN line (e.g. the baseline
    never shows the rise the correction removes): numbers from the runs, not a guess."""
    return f"CAUSE      {text}"


def claims_report(shown: dict, measured: dict) -> dict:
    """The report's `claims`: {claim: {"shown": bool}, ..., "measured": numbers}."""
    return {**{k: {"shown": bool(v)} for k, v in shown.items()}, "measured": measured}


def finish(fig, stem: str, verdicts: list[str], shown: dict, measured: dict, out_dir,
           text_y: float = -0.06, premises: dict | None = None) -> dict:
    """Every draw function's ending: the verdicts under the figure, PNG + PDF saved as
    `stem`, and the report `{"claims", "verdicts", "files"}` that `make report` reads (with
    `premises` {name: met} where the figure checks what its claims need first)."""
    fig.text(0.01, text_y, "\n".join(verdicts), fontsize=8, family="monospace", va="top")
    paths = save(fig, out_dir, stem)
    report = {"claims": claims_report(shown, measured), "verdicts": verdicts,
              "files": [str(p) for p in paths]}
    if premises is not None:
        report["premises"] = {k: bool(v) for k, v in premises.items()}
    return report


def all_finite(*values) -> bool:
    """A claim compares numbers: a diverged run (NaN or inf anywhere) fails it rather than
    dropping out of a max() or a median()."""
    return all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in values)
