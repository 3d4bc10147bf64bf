"""`make list` (every artifact, its scales and a runtime estimate) and `make report` (every
claim: shown / not shown / not run, with its numbers and figure) → RESULTS/report.md + .html.

Claims are judged by the draw functions' fixed thresholds; a claim that fails at a scale is
reported as failing. Nothing here trains: artifacts without results are listed as not run.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from harness.sweep import SCALES, SimConfig, SweepError, expand

from .load import ResultsError
from .registry import FIGURES, TABLES

# Effective training throughput of the 2-core CI machines, measured on the mini scales
# (ResNet-14 on digits ≈ 0.08, byte GPTs 0.03–0.07 TFLOP/s): estimates are good to ~2×.
CPU_TFLOPS = 0.06
RUN_OVERHEAD_S = 3.0


def make_target(name: str) -> str:
    paper, _, rest = name.partition("-")
    kind, number = ("table", rest[5:]) if rest.startswith("table") else ("figure", rest[3:])
    return f"{paper.rstrip('0123456789')}-{kind}-{number}"


def estimate_minutes(sweep_file: str, scale: str) -> float:
    from harness.cost import run_cost  # imports torch: only when estimating

    seconds = 0.0
    for run in expand(sweep_file, scale):
        if isinstance(run.config, SimConfig):
            seconds += 30.0  # simulations: measured 10–30 s each
            continue
        seconds += run_cost(run.config)["pflops"] * 1e3 / CPU_TFLOPS + RUN_OVERHEAD_S
    return seconds / 60


def artifact_rows(with_estimate: bool = True) -> list[dict]:
    entries = ([(n, "figure", s) for n, (_, s) in FIGURES.items()]
               + [(n, "table", s) for n, s in TABLES.items()])
    rows = []
    for name, kind, sweep in entries:
        counts = []
        for scale in SCALES if sweep else ():  # no sweep: computed exactly when drawn
            try:
                counts.append(f"{scale} {len(expand(sweep, scale))}")
            except SweepError:
                pass
        row = {"artifact": name, "kind": kind, "make": f"make {make_target(name)}",
               "runs per scale": ", ".join(counts) or "none (exact, computed when drawn)",
               "sweep": sweep or "—"}
        if with_estimate:
            minutes = estimate_minutes(sweep, "mini") if sweep else 0.0
            row["mini ≈ min (2 cores)"] = f"{minutes:.0f}"
        rows.append(row)
    return rows


def _figure_claims(name: str, scale: str, results: str, out: Path) -> dict:
    draw, sweep = FIGURES[name]
    try:
        report = draw(sweep, scale, results, out)
    except ResultsError as e:
        return {"status": "not run", "detail": str(e).split(";")[0], "claims": {}, "files": []}
    except ValueError as e:  # e.g. one side of a comparison missing
        return {"status": "not run", "detail": str(e), "claims": {}, "files": []}
    claims = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    status = "shown" if all(claims.values()) else "not shown"
    return {"status": status, "detail": "\n".join(report["verdicts"]), "claims": claims,
            "files": report["files"]}


def _table_text(name: str, scale: str, results: str) -> dict:
    from .tables import build, render

    try:
        table = build(TABLES[name], scale, results)
    except (ResultsError, SweepError) as e:
        return {"status": "not run", "detail": str(e), "claims": {}, "files": []}
    done = sum(bool(c.values) for c in table.cells.values())
    status = f"table ({done}/{len(table.cells)} cells)" if done else "not run"
    return {"status": status, "detail": render(table, "md", compare=True), "claims": {},
            "files": []}


def write_report(scale: str, results: str) -> tuple[Path, Path, dict]:
    out = Path(results) / "figures"
    entries = {name: _figure_claims(name, scale, results, out) for name in FIGURES}
    entries.update({name: _table_text(name, scale, results) for name in TABLES})
    md = [f"# wdlab claims report — {scale} scale", "",
          "Each paper claim as a check over our results (thresholds fixed from the papers' "
          "statements before the runs). `not shown` means the claim failed at this scale; "
          "it is not tuned away.", "",
          "| artifact | status | claims |", "|---|---|---|"]
    for name, e in entries.items():
        claims = ", ".join(f"{k}: {'✓' if v else '✗'}" for k, v in e["claims"].items()) or "—"
        md.append(f"| {name} | **{e['status']}** | {claims} |")
    html_parts = [f"<h1>wdlab claims report — {html.escape(scale)} scale</h1>"]
    for name, e in entries.items():
        md += ["", f"## {name} ({make_target(name)}): {e['status']}", ""]
        html_parts.append(f"<h2>{html.escape(name)}: {html.escape(e['status'])}</h2>")
        if e["detail"]:
            md += (["```", e["detail"], "```"] if not e["detail"].startswith("**")
                   else [e["detail"]])
            html_parts.append(f"<pre>{html.escape(e['detail'])}</pre>")
        for f in e["files"]:
            if f.endswith(".png"):
                md.append(f"![{name}]({Path(f).relative_to(Path(results))})")
                data = base64.b64encode(Path(f).read_bytes()).decode()
                html_parts.append(f'<img src="data:image/png;base64,{data}" width="900">')
    md_path, html_path = Path(results) / "report.md", Path(results) / "report.html"
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text("\n".join(md) + "\n")
    html_path.write_text("<!doctype html><meta charset='utf-8'><title>wdlab report</title>\n"
                         + "\n".join(html_parts) + "\n")
    return md_path, html_path, entries
