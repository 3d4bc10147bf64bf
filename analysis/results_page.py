"""The results page: RESULTS/report.html, one self-contained HTML file written by `make report`
(`harness report`), readable offline: plotly's JS bundle and every figure are inlined.

Per artifact: its status, the paper's words, its premise and claim lines (SHOWN / NOT SHOWN
with the numbers, or why it was not run), its figure (the artifact's own PNG), its runs'
curves as an interactive plotly figure (analysis/results_curves.py) and a table of its
sweep's runs from the run index, sorted by a click on a column's header. The entries are
analysis/report.py's (each artifact's draw, run once); the counts, premise summaries and
training times are analysis/reproduction.py's. ~5 MB of the page is plotly itself, so it
lives under RESULTS (not committed), not docs/.
"""

from __future__ import annotations

import base64
import html
import io
import json
import numbers
import re
from pathlib import Path

from .artifacts import discover
from .reproduction import (
    counts_line,
    minutes,
    premise_summary,
    record_line,
    thumbnail,
    training_seconds,
)
from .results_curves import fmt, runs_table, sweep_curves

FIGURE_PX = 1200  # the page's PNGs: half the drawn size, legible, ~60 KB each in 256 colours
VERDICT = re.compile(r"^(PREMISE NOT MET|PREMISE MET|NOT SHOWN|SHOWN)\s+(.*)$")
STATUS_CLASS = {"shown": "shown", "not shown": "not-shown", "not run": "not-run",
                "not shown (premise not met)": "premise"}  # anything else: a printed table

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1280px;padding:0 16px 48px}
h2{margin-top:2.2em;border-top:1px solid #ccc;padding-top:.6em}
.status{padding:1px 7px;border-radius:4px;font-size:.85em;color:#fff;background:#3465a4}
.status.shown{background:#2e7d32}.status.not-shown{background:#c62828}
.status.premise{background:#ef6c00}.status.not-run{background:#777}
blockquote{color:#444;border-left:3px solid #bbb;margin:.5em 0;padding-left:10px}
ul.verdicts{list-style:none;padding:0;font-family:ui-monospace,monospace;font-size:12.5px}
ul.verdicts li{margin:2px 0}.tag{display:inline-block;min-width:9.5em;font-weight:bold}
li.shown .tag,li.met .tag{color:#2e7d32}li.not-shown .tag,li.not-met .tag{color:#c62828}
img.figure{max-width:100%;border:1px solid #eee}
table{border-collapse:collapse;font-size:12.5px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;background:#f4f4f4;user-select:none}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.scroll{overflow-x:auto;max-height:480px;overflow-y:auto}
.note{color:#666}pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12.5px}
"""

# Plot every figure from its JSON block (one per sweep: artifacts sharing runs share it), and
# sort a table on a header click: numerically when every filled cell is a number, empty last.
SCRIPT = """
document.querySelectorAll("div.curves").forEach(function (div) {
  var spec = JSON.parse(document.getElementById(div.dataset.spec).textContent);
  Plotly.newPlot(div, spec.data, spec.layout, {responsive: true, displaylogo: false});
});
function sortBy(th) {
  var body = th.closest("table").tBodies[0], col = th.cellIndex;
  var up = th.getAttribute("aria-sort") !== "ascending";
  var key = function (row) { var c = row.cells[col]; return c.dataset.v !== undefined ?
    c.dataset.v : c.textContent; };
  var rows = Array.from(body.rows);
  var numeric = rows.every(function (r) { var k = key(r); return k === "" || isFinite(k); });
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    if (x === "" || y === "") return (x === "") - (y === "");
    var d = numeric ? x - y : x.localeCompare(y, undefined, {numeric: true});
    return up ? d : -d;
  });
  th.parentNode.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
  th.setAttribute("aria-sort", up ? "ascending" : "descending");
  rows.forEach(function (r) { body.appendChild(r); });
}
document.addEventListener("click", function (e) {
  var th = e.target.closest("table.sortable th");
  if (th) sortBy(th);
});
"""


def inline_md(text: str) -> str:
    """The Markdown reproduction.py's sentences use (**bold**, `code`) as HTML."""
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "table")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def verdict_list(detail: str) -> str:
    """The draw's verdict lines as a list: PREMISE MET / NOT MET, SHOWN / NOT SHOWN, each with
    its measured numbers; a line that is none of these continues the one before it."""
    items: list[list[str]] = []
    for line in detail.splitlines():
        match = VERDICT.match(line.strip())
        if match:
            items.append([match[1], match[2]])
        elif items and line.strip():
            items[-1][1] += " " + line.strip()
        elif line.strip():
            items.append(["", line.strip()])
    css = {"PREMISE MET": "met", "PREMISE NOT MET": "not-met", "SHOWN": "shown",
           "NOT SHOWN": "not-shown", "": "other"}
    lis = [f'<li class="{css[tag]}"><span class="tag">{tag}</span> {html.escape(text)}</li>'
           for tag, text in items]
    return '<ul class="verdicts">' + "".join(lis) + "</ul>"


def cell(value) -> str:
    text = html.escape(fmt(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and text:
        return f'<td class="num" data-v="{float(value)!r}">{text}</td>'
    return f"<td>{text}</td>"


def table_html(table: dict, caption: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table["columns"])
    body = "".join("<tr>" + "".join(cell(r.get(c)) for c in table["columns"]) + "</tr>"
                   for r in table["rows"])
    fixed = ", ".join(f"{k}={html.escape(fmt(v))}" for k, v in table["fixed"].items())
    indexed = (f"{table['indexed']} of {len(table['rows'])} runs in the run index "
               f"<code>{html.escape(table['index'])}</code>" if table["indexed"] else
               f"no run index yet at <code>{html.escape(table['index'])}</code> (`harness run` "
               "writes it): rows from the sweep file")
    return (f'<p class="note">{caption}; {indexed}. Click a column header to sort.</p>'
            f'<div class="scroll"><table class="sortable runs"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
            f"<details><summary>the same in every run</summary><p>{fixed or '—'}</p></details>")


def png_uri(path: Path) -> str:
    buffer = io.BytesIO()
    thumbnail(path, buffer, FIGURE_PX, palette=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def section(name: str, e: dict, sweep: str | None, seconds: float | None,
            curves_id: str | None, table: dict | None) -> str:
    klass = status_class(e["status"])
    status = html.escape(e["status"])
    out = [f'<section class="artifact {klass}" id="{name}" data-status="{status}">',
           f'<h2>{name} <span class="status {klass}">{status}</span></h2>',
           f"<p><code>make {name}</code>; training {minutes(seconds)} min"
           + (f"; runs of <code>{html.escape(sweep)}</code>" if sweep else "; no runs (exact)")
           + "</p>"]
    if e.get("quote"):
        out.append(f"<blockquote>{html.escape(e['quote'])}</blockquote>")
    if e.get("not_reproduced"):
        out.append(f"<p>Not reproduced here: {html.escape(e['not_reproduced'])}.</p>")
    detail = e.get("detail") or ""
    if e["status"] == "not run":
        out.append(f'<p class="why">not run: {html.escape(detail)}</p>')
    elif detail.startswith(("**", "|")) or "\n|" in detail:  # a printed table (Markdown)
        out.append(f"<pre>{html.escape(detail)}</pre>")
    elif detail:
        out.append(verdict_list(detail))
    for f in (Path(f) for f in e.get("files", []) if f.endswith(".png")):
        out.append(f'<img class="figure" alt="{name}" src="{png_uri(f)}">')
    if curves_id:
        out.append(f'<h3>Curves</h3><div class="curves" id="curves-{name}" '
                   f'data-spec="{curves_id}"></div>')
    elif sweep:
        out.append('<p class="note">No complete run to draw curves from yet.</p>')
    if table:
        out.append("<h3>Runs</h3>" + table_html(table, f"{len(table['rows'])} runs of the sweep"))
    out.append("</section>")
    return "\n".join(out)


def summary_row(name: str, e: dict) -> str:
    claims = ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in e["claims"].items()) or "—"
    return (f'<tr><td><a href="#{name}">{name}</a></td><td><span class="status '
            f'{status_class(e["status"])}">{html.escape(e["status"])}</span></td>'
            f"<td>{html.escape(premise_summary(e))}</td><td>{html.escape(claims)}</td></tr>")


def _json_block(block_id: str, spec: dict) -> str:
    text = json.dumps(spec, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{block_id}">{text}</script>'


def build_page(scale: str, results: str, entries: dict,
               sweeps: dict[str, str | None] | None = None) -> str:
    """The page's HTML for these entries (analysis/report.py's artifact_claims); `sweeps`
    {artifact: sweep file} defaults to the tree's artifacts."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:  # an install without plotly still gets every figure and table
        get_plotlyjs = None
    if sweeps is None:
        sweeps = {a.name: a.sweep_file for a in discover()}
    every_sweep = {a.name: a.sweep_files for a in discover()}
    blocks, figures, sections = {}, {}, []
    for name, e in entries.items():
        sweep = sweeps.get(name)
        curves_id = None
        if sweep and get_plotlyjs is not None:
            if sweep not in figures:
                figures[sweep] = sweep_curves(sweep, scale, results)
                if figures[sweep] is not None:
                    blocks[sweep] = _json_block(f"curves-data-{slug(sweep)}", figures[sweep])
            curves_id = f"curves-data-{slug(sweep)}" if figures[sweep] is not None else None
        table = runs_table(sweep, scale, results) if sweep else None
        drawn = every_sweep.get(name, [sweep] if sweep else [])  # own + ALSO's sweeps
        sections.append(section(name, e, sweep, training_seconds(drawn, scale, results),
                                curves_id, table))
    summary = "".join(summary_row(n, e) for n, e in entries.items())
    plotly_js = (f"<script>{get_plotlyjs()}</script>" if get_plotlyjs is not None else "")
    no_plotly = ("" if get_plotlyjs is not None else
                 '<p class="note">plotly is not installed here: no interactive curves '
                 "(pip install plotly, or the lock's pins).</p>")
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>wdlab results — {html.escape(scale)} scale</title>",
        f"<style>{CSS}</style>", plotly_js, "</head><body>",
        f"<h1>wdlab results — {html.escape(scale)} scale</h1>",
        f"<p>Generated by <code>make report SCALE={html.escape(scale)}</code> from "
        f"<code>{html.escape(str(results))}/</code>. Each paper claim is a check with "
        "thresholds fixed from the paper's words before the runs; a claim that fails at this "
        "scale is reported, not tuned away.</p>",
        f"<p>{inline_md(counts_line(entries))}.</p>",
        f"<p>{inline_md(record_line(results, scale))}</p>", no_plotly,
        '<table class="sortable summary"><thead><tr><th>artifact</th><th>status</th>'
        f"<th>premise</th><th>claims</th></tr></thead><tbody>{summary}</tbody></table>",
        *sections, *blocks.values(), f"<script>{SCRIPT}</script>", "</body></html>", ""])


def write_page(scale: str, results: str, entries: dict, path: Path,
               sweeps: dict[str, str | None] | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_page(scale, results, entries, sweeps))
    return path
