"""`make report DOCS=docs`: the committed reproduction report, generated from results.

`docs/reproduction.md` lists every artifact at a scale: its premise checks, each claim with
its numbers, SHOWN / NOT SHOWN / not run, the training time of its runs, and a small PNG of
its figure under `docs/figures/`. The README's headline table (between its `reproduction`
markers) is rewritten from the same entries, so neither is typed by hand. `results/` is not
kept between sessions; this is what the next reader sees of a mini run.

The entries are kept beside it (`docs/reproduction.json`). An artifact none of whose runs are
in this results folder keeps its last entry, marked *carried over* with the date it was
generated, so re-running one artifact updates its section without erasing the others
(`--fresh`: report only this folder's runs, as `make reproduce` from empty results does).
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

from harness.legacy_folders import stored_run_dir
from harness.runfolder import ResultsError, atomic_write_text, read_done
from harness.sweep import SweepError, expand

from .artifacts import ROOT as ARTIFACT_ROOT
from .artifacts import discover

THUMBNAIL_PX = 720  # the longer side of a docs/figures PNG: legible, ~100 KB
README_BEGIN, README_END = "<!-- reproduction:begin -->", "<!-- reproduction:end -->"
# experiments/<paper>/README.md: the paper's artifact table, rewritten between these
PAPER_BEGIN, PAPER_END = "<!-- artifacts:begin -->", "<!-- artifacts:end -->"
STATUSES = ("shown", "not shown", "not shown (premise not met)", "not run")
ENTRIES = "reproduction.json"  # beside reproduction.md: what a later report carries over
KEPT = ("status", "claims", "premises", "detail", "quote", "not_reproduced", "seconds",
        "figure", "carried_from")


def runs_of(sweep_files: list[str], scale: str) -> dict:
    """{run id: run} of the sweeps at `scale`: a run two of them share (same config, same
    content-addressed id) once; a sweep without that scale adds nothing."""
    runs = {}
    for sweep_file in sweep_files:
        try:
            runs.update((run.run_id, run) for run in expand(sweep_file, scale))
        except SweepError:
            continue
    return runs


def done_seconds(runs, results: str) -> tuple[float, int]:
    """(seconds trained, how many) of the runs complete in `results`, from their DONE files."""
    total, done = 0.0, 0
    for run in runs:
        try:
            total += float(read_done(stored_run_dir(results, run)).get("seconds") or 0.0)
            done += 1
        except (ResultsError, OSError):
            continue
    return total, done


def training_seconds(sweep_files: list[str], scale: str, results: str) -> float | None:
    """Seconds the runs of every sweep an artifact draws from trained (their DONE files; a run
    two of them share counted once), None when none is complete. A run two artifacts share
    counts in both: each needs it."""
    total, done = done_seconds(runs_of(sweep_files, scale).values(), results)
    return total if done else None


def thumbnail(png: Path, target, px: int = THUMBNAIL_PX, palette: bool = False):
    """`png` shrunk to `px` on its longer side, into `target`: a path, or a binary file (the
    results page inlines it). `palette`: 256 colours, ~2.5× smaller and still crisp for line
    plots."""
    from PIL import Image  # matplotlib's own dependency

    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(png) as image:
        image.thumbnail((px, px))
        small = image.convert("RGB")
        (small.quantize(256) if palette else small).save(target, format="PNG", optimize=True)
    return target


def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def premise_summary(entry: dict) -> str:
    premises = entry.get("premises") or {}
    if not premises:
        return "—"
    return "met" if all(premises.values()) else "NOT MET: " + ", ".join(
        k for k, v in premises.items() if not v)


def undiagnosed(entry: dict) -> bool:
    """A claim failed with its premise met and the check printed no measured CAUSE line (a
    premise not met is its own cause: the premise line gives the numbers)."""
    return entry["status"] == "not shown" and "\nCAUSE " not in "\n" + entry["detail"]


def counts_line(entries: dict) -> str:
    counts = {s: sum(e["status"] == s for e in entries.values()) for s in STATUSES}
    tables = sum(e["status"] not in STATUSES for e in entries.values())  # "table (k/n cells)"
    blind = sum(undiagnosed(e) for e in entries.values())
    carried = sum(bool(e.get("carried_from")) for e in entries.values())
    return (f"**{counts['shown']} of {len(entries)} artifacts SHOWN**; "
            f"{counts['not shown']} not shown ({blind} of them without a measured cause), "
            f"{counts['not shown (premise not met)']} with "
            f"their premise not met, {counts['not run']} not run"
            + (f", {tables} tables printed without a claim to judge" if tables else "")
            + (f"; {carried} of these carried over from earlier reports" if carried else ""))


def record_line(results: str, scale: str) -> str:
    path = Path(results) / f"reproduce_{scale}.json"
    if not path.is_file():
        return ("No `harness reproduce` record in this results folder: the artifacts were run "
                "one by one, so no total runtime is measured.")
    r = json.loads(path.read_text())
    resumed = (f"resumed with {r['complete_before']} runs already complete"
               if r["complete_before"] else "from an empty results folder")
    state = {"finished": "finished", "running": "still running when this was written",
             "interrupted": "interrupted"}.get(r.get("state", "finished"), r.get("state"))
    if r.get("incomplete") and state == "finished":  # records written before "ended incomplete"
        state = "ended incomplete"
    load = r.get("mean_load")
    contended = (f" The machine's mean load was {load} on {r['cores']} cores: other work shared "
                 "them, so the wall time overstates what reproduce alone takes."
                 if load is not None and load > r.get("cores", 2) + 0.5 else "")
    return (f"`make reproduce` ({r['jobs']} workers × {r['threads_per_job']} thread(s), "
            f"started {r['started']}, {resumed}) was **{state}** after "
            f"**{r['wall_s'] / 60:.0f} min** wall time with {r.get('complete', r['runs'])} of "
            f"{r['runs']} distinct runs complete ({r['copied_to_other_sweeps']} copied to the "
            f"other artifacts that share them; make list's estimate for all of them: "
            f"{r['estimated_s'] / 60:.0f} min).{contended}{changed_since(r, scale)}")


def every_run(scale: str) -> dict:
    """{run id: run} of every distinct run (content-addressed) the artifacts' sweeps, their
    ALSO panels' included, mean at `scale` today: what a reproduce from empty results trains."""
    return runs_of([sweep for a in discover() for sweep in a.sweep_files], scale)


def distinct_runs(scale: str) -> int:
    """How many distinct runs the sweeps mean at `scale` today (every_run)."""
    return len(every_run(scale))


def measured_line(results: str, scale: str, goal_min: float = 120, workers: int = 2) -> str:
    """The training time the runs in this results folder measured (their DONE files, each run
    once however many artifacts share it), set against the goal for all of them on 2 cores;
    runs not complete here are priced by make list's cost model, and said to be."""
    from harness.cost import run_seconds

    runs = every_run(scale)
    per_run = {i: done_seconds([run], results) for i, run in runs.items()}  # each DONE read once
    seconds, done = sum(s for s, _ in per_run.values()), sum(n for _, n in per_run.values())
    if not done:
        return "No run of these sweeps is complete in this results folder: nothing measured."
    missing = {i: runs[i] for i, (_, n) in per_run.items() if not n}
    rest = ""
    if missing:  # priced by the cost model, scaled by what it missed on the complete runs
        modelled = sum(run_seconds(run) for i, run in runs.items() if i not in missing)
        scale_up = seconds / modelled if modelled else 1.0
        priced = sum(map(run_seconds, missing.values())) * scale_up
        rest = (f"; the {len(missing)} missing runs ≈ {priced / 60:.0f} min more of training "
                f"(make list's cost model × {scale_up:.2f}, its ratio on the complete runs)")
    return (f"Measured: the {done} of {len(runs)} distinct runs complete in this folder "
            f"trained for **{seconds / 60:.0f} min** (DONE files; one thread each, under "
            f"whatever load shared the machine), ≥ {seconds / 60 / workers:.0f} min of wall "
            f"time on {workers} workers{rest}; the goal for all of them is ≤ {goal_min:g} min "
            f"on 2 cores.")


def changed_since(record: dict, scale: str) -> str:
    """A record of an earlier reproduce stays true of that run only: say so when the sweeps
    have changed since (runs added by seeds, new regimes or artifacts, or cut)."""
    now = distinct_runs(scale)
    return ("" if now == record["runs"] else f" The sweeps have changed since: they now mean "
            f"{now} distinct runs (this record counted {record['runs']}).")


def write_reproduction(scale: str, results: str, entries: dict, docs: Path,
                       readme: Path | None = None, fresh: bool = False) -> Path:
    """docs/reproduction.md + docs/figures/*.png from the report's entries (write_report),
    and the entries as docs/reproduction.json; without `fresh`, an artifact not run here
    keeps its entry of the last report (carried over)."""
    docs = Path(docs)
    sweeps = {a.name: a.sweep_files for a in discover()}
    seconds = {n: training_seconds(sweeps.get(n, []), scale, results) for n in entries}
    previous = None if fresh else earlier_report(docs, scale)
    now = datetime.datetime.now().isoformat(timespec="seconds")  # names this report's runs
    if previous:
        entries, seconds = carry_over(entries, seconds, previous)
    record, earlier = record_line(results, scale), carried_records(entries, previous)
    md = [f"# Reproduction report — {scale} scale", "",
          f"Generated by `make report SCALE={scale} DOCS={docs}` from the runs in "
          f"`{results}/`; do not edit by hand. Thresholds were fixed from the papers' words "
          "before the runs; a claim that fails is reported, not tuned away. A premise is what "
          "a claim needs before it can be judged (e.g. the model learns early); "
          "`—`: the artifact checks none yet.", "", counts_line(entries) + ".", "",
          record, "", measured_line(results, scale), "", *carried_line(earlier, scale),
          "| artifact | status | premise | claims | training min |", "|---|---|---|---|---|"]
    for name, e in entries.items():
        claims = ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in e["claims"].items()) or "—"
        md.append(f"| [{name}](#{name}) | **{e['status']}** | {premise_summary(e)} | {claims} | "
                  f"{minutes(seconds[name])} |")
    for name, e in entries.items():
        md += ["", f"## {name}", "", f"**{e['status']}** — `make {name}`; training "
               f"{minutes(seconds[name])} min." + (
                   f" *Carried over* from the report generated {e['carried_from']}: its runs "
                   "are not in the results folder this report read." if e.get("carried_from")
                   else ""), ""]
        if e.get("quote"):
            md += [f"> {e['quote']}", ""]
        if e.get("not_reproduced"):
            md += [f"Not reproduced here: {e['not_reproduced']}.", ""]
        if e["detail"]:
            md += (["```", e["detail"], "```"] if not e["detail"].startswith("**")
                   else [e["detail"]])
        if undiagnosed(e):
            md += ["", "Cause: not measured by this check yet; the sweep file's comments name "
                   "the regimes tried."]
        for f in (f for f in e.get("files", []) if f.endswith(".png")):
            e["figure"] = str(thumbnail(Path(f), docs / "figures" / Path(f).name)
                              .relative_to(docs))
        if e.get("figure") and (docs / e["figure"]).is_file():
            md += ["", f"![{name}]({e['figure']})"]
    path = docs / "reproduction.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(md) + "\n")
    kept = {n: {**{k: e[k] for k in KEPT if e.get(k) is not None}, "seconds": seconds[n]}
            for n, e in entries.items()}
    atomic_write_text(json.dumps({"scale": scale, "generated": now,
                                  "records": {**earlier, now: record},
                                  "artifacts": kept}, indent=1, ensure_ascii=False) + "\n",
                      docs / ENTRIES)
    if readme is not None:
        update_readme(readme, entries, scale, path)
        update_paper_readmes(entries, scale, path, seconds)
    return path


def earlier_report(docs: Path, scale: str) -> dict | None:
    """The entries of the last report written into `docs` at `scale`, None if there is none."""
    path = Path(docs) / ENTRIES
    if not path.is_file():
        return None
    try:
        previous = json.loads(path.read_text())
    except ValueError as e:
        raise ValueError(f"{path}: not JSON ({e}); delete it, or report with --fresh") from None
    return previous if previous.get("scale") == scale else None


def carry_over(entries: dict, seconds: dict, previous: dict) -> tuple[dict, dict]:
    """Artifacts with no run in this results folder ("not run") take their last entry, dated
    by the report that measured it; every other entry is this folder's."""
    entries, seconds = dict(entries), dict(seconds)
    for name, e in entries.items():
        old = previous["artifacts"].get(name)
        if e["status"] == "not run" and seconds[name] is None and old \
                and old["status"] != "not run":
            entries[name] = {**old, "files": [],
                             "carried_from": old.get("carried_from") or previous["generated"]}
            seconds[name] = old.get("seconds")
    return entries, seconds


def carried_records(entries: dict, previous: dict | None) -> dict[str, str]:
    """{when: record line} of the earlier reports the carried entries come from (a report
    written before reports kept several has one record, under its "generated")."""
    if not previous:
        return {}
    records = previous.get("records") or {previous["generated"]: previous["record"]}
    dates = {e["carried_from"] for e in entries.values() if e.get("carried_from")}
    return {d: records.get(d, "no record kept") for d in sorted(dates)}


def carried_line(records: dict[str, str], scale: str) -> list[str]:
    """Where carried entries come from: each earlier report's record of its runs. A record's
    "the sweeps have changed since" sentence was true when that report was written: it is
    replaced by today's count."""
    if not records:
        return []
    stale = re.compile(r" The sweeps have changed since: they now mean \d+ distinct runs "
                       r"\(this record counted \d+\)\.")
    return ["Entries marked *carried over* were not run in this results folder; they come "
            "from earlier reports. " + " ".join(f"The report of {when}: {stale.sub('', record)}"
                                                  for when, record in records.items())
            + f" Today the sweeps mean {distinct_runs(scale)} distinct runs.", ""]


def _rewrite_block(path: Path, begin: str, end: str, lines: list[str]) -> None:
    text = path.read_text()
    if begin not in text or end not in text:
        raise ValueError(f"{path}: no {begin} … {end} block to rewrite")
    block = "\n".join([begin, *lines, end])
    pattern = re.escape(begin) + ".*?" + re.escape(end)
    path.write_text(re.sub(pattern, lambda _: block, text, flags=re.S))


def _summary(artifact) -> str:
    """The module docstring's first paragraph without its "Paper, Figure N:" lead."""
    first = " ".join((artifact.module.__doc__ or "").strip().split("\n\n")[0].split())
    return first.split(": ", 1)[1] if ": " in first else first


def update_paper_readmes(entries: dict, scale: str, report: Path,
                         seconds: dict[str, float | None]) -> list[Path]:
    """Each experiments/<paper>/README.md's artifact table: what the artifact checks (its
    docstring), its command, runs per scale, the mini estimate, and its status here with the
    training time, linked to its section of the report."""
    from .report import artifact_rows

    rows = {r["artifact"]: r for r in artifact_rows()}
    written = []
    for paper in sorted({a.paper for a in discover()}):
        readme = ARTIFACT_ROOT / "experiments" / paper / "README.md"
        link = Path("../..") / report.resolve().relative_to(ARTIFACT_ROOT)
        lines = ["| artifact | command | runs | mini ≈ min (estimate) | "
                 f"at {scale} (generated) |", "|---|---|---|---|---|"]
        for a in (a for a in discover() if a.paper == paper):
            r, e = rows[a.name], entries.get(a.name, {"status": "not run"})
            lines.append(f"| **{a.name}**: {_summary(a)} | `{r['make']}` | {r['runs per scale']}"
                         f" | {r['mini ≈ min (2 cores)']} | [{e['status']}]({link}#{a.name}), "
                         f"training {minutes(seconds.get(a.name))} min |")
        _rewrite_block(readme, PAPER_BEGIN, PAPER_END, lines)
        written.append(readme)
    return written


def update_readme(readme: Path, entries: dict, scale: str, report: Path) -> None:
    """Rewrite the README's block between the markers: the counts and a line per artifact."""
    report, readme = report.resolve(), readme.resolve()
    link = report.relative_to(readme.parent) if report.is_relative_to(readme.parent) else report
    rows = [f"At {scale} scale ([the full report]({link}), generated): "
            + counts_line(entries) + ".", "", "| artifact | status |", "|---|---|"]
    rows += [f"| [{n}]({link}#{n}) | {e['status']} |" for n, e in entries.items()]
    _rewrite_block(readme, README_BEGIN, README_END, rows)
