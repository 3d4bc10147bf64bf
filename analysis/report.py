"""`make list` (every artifact, its scales and a runtime estimate) and `make report` (every
claim: shown / not shown / not run, with its numbers and figure) → RESULTS/report.md and the
interactive results page RESULTS/report.html (analysis/results_page.py).

Claims are judged by the draw functions' fixed thresholds; a claim that fails at a scale is
reported as failing. Nothing here trains: artifacts without results are listed as not run.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from harness.legacy_folders import stored_run_dir
from harness.runfolder import is_complete
from harness.sweep import SCALES, SweepError, expand

from .artifacts import Artifact, discover, drawn_sweeps
from .load import ResultsError
from .results_page import write_page


def estimate_minutes(sweep_files: list[str], scale: str) -> dict[str, float]:
    """Rough 2-core minutes per sweep: counting FLOPs builds the models, which needs torch,
    so it runs in a harness process (analysis itself imports no torch)."""
    if not sweep_files:
        return {}
    out = subprocess.run([sys.executable, "-m", "harness.cost", scale, *sweep_files],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def artifact_rows(with_estimate: bool = True) -> list[dict]:
    # Without torch (analysis installed alone on a laptop) there is no estimate: no column,
    # rather than a column of zeros
    with_estimate = with_estimate and importlib.util.find_spec("torch") is not None
    artifacts = discover()
    sweeps = {a.name: a.sweep_files for a in artifacts}  # own first, then ALSO's
    minutes = (estimate_minutes(sorted({s for files in sweeps.values() for s in files}), "mini")
               if with_estimate else {})
    rows = []
    for a in artifacts:
        files, counts = sweeps[a.name], []
        for scale in SCALES if files else ():  # no sweep: computed exactly when drawn
            try:
                # a run two of the sweeps share (same config, same id) trains once
                counts.append(f"{scale} {len({r.run_id for f in files for r in expand(f, scale)})}")
            except SweepError:
                pass
        also = getattr(a.module, "ALSO", ())
        row = {"artifact": a.name, "kind": a.kind, "make": f"make {a.name}",
               "runs per scale": (", ".join(counts) + (f" (with the runs of {', '.join(also)})"
                                                       if also and counts else "")
                                  or "none (exact, computed when drawn)"),
               "sweep": files[0] if files else "—"}
        if with_estimate:
            row["mini ≈ min (2 cores)"] = f"{sum(minutes.get(f, 0.0) for f in files):.0f}"
        rows.append(row)
    return rows


def incomplete_runs(sweep_file: str | None, scale: str, results: str) -> tuple[int, int] | None:
    """(complete, total) runs of the sweep at `scale`; None without a sweep (or scale)."""
    if not sweep_file:
        return None
    try:
        runs = expand(sweep_file, scale)
    except SweepError:
        return None
    return sum(is_complete(stored_run_dir(results, r)) for r in runs), len(runs)


def artifact_claims(artifact: Artifact, scale: str, results: str, out: Path) -> dict:
    """One artifact's entry in the report: status, verdict text, claims, files, and the
    paper's words it checks (`quote`) and what it does not reproduce, run or not."""
    about = {"quote": getattr(artifact.module, "QUOTE", ""),
             "not_reproduced": getattr(artifact.module, "NOT_REPRODUCED", "")}
    # a partial lr grid (its own or a panel's) could put an optimum on a false edge
    for sweep in drawn_sweeps(artifact.module, artifact.sweep_file):
        done, total = incomplete_runs(sweep, scale, results) or (0, 0)
        if 0 < done < total:
            return {"status": "not run", "detail": f"{done} of {total} runs of {sweep} "
                    "complete; claims are not judged on a partial sweep", "claims": {},
                    "files": [], **about}
    try:
        report = artifact.module.draw(artifact.sweep_file, scale, results, out)
    except (ResultsError, SweepError) as e:
        return {"status": "not run", "detail": str(e).split(";")[0], "claims": {}, "files": [],
                **about}
    except ValueError as e:  # e.g. one side of a comparison missing
        return {"status": "not run", "detail": str(e), "claims": {}, "files": [], **about}
    claims = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    status = report.get("status") or ("shown" if all(claims.values()) else "not shown")
    if not all(report.get("premises", {}).values()):  # the claim could not be judged
        status = "not shown (premise not met)"
    detail = report.get("markdown") or "\n".join(report["verdicts"])
    return {"status": status, "detail": detail, "claims": claims, "files": report["files"],
            "premises": report.get("premises", {}), **about}


def write_report(scale: str, results: str,
                 page: str | Path | None = None) -> tuple[Path, Path, dict]:
    """RESULTS/report.md and the results page (analysis/results_page.py; RESULTS/report.html
    unless `page`), from every artifact's entry."""
    out = Path(results) / "figures"
    entries = {a.name: artifact_claims(a, scale, results, out) for a in discover()}
    md = [f"# wdlab claims report — {scale} scale", "",
          "Each paper claim as a check over our results (thresholds fixed from the papers' "
          "statements before the runs). `not shown` means the claim failed at this scale; "
          "it is not tuned away.", "",
          "| artifact | status | claims |", "|---|---|---|"]
    for name, e in entries.items():
        claims = ", ".join(f"{k}: {'✓' if v else '✗'}" for k, v in e["claims"].items()) or "—"
        md.append(f"| {name} | **{e['status']}** | {claims} |")
    for name, e in entries.items():
        md += ["", f"## {name}: {e['status']} (make {name})", ""]
        if e.get("quote"):  # what the paper says, before what we measured
            md += [f"> {e['quote']}", ""]
        if e.get("not_reproduced"):
            md += [f"Not reproduced here: {e['not_reproduced']}.", ""]
        if e["detail"]:
            md += (["```", e["detail"], "```"] if not e["detail"].startswith("**")
                   else [e["detail"]])
        for f in e["files"]:
            if f.endswith(".png"):
                md.append(f"![{name}]({Path(f).relative_to(Path(results))})")
    md_path = Path(results) / "report.md"
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text("\n".join(md) + "\n")
    html_path = write_page(scale, results, entries, Path(page or Path(results) / "report.html"))
    return md_path, html_path, entries
