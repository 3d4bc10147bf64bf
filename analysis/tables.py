"""`harness table`: a final metric per (row, column) cell as mean ± sample std over seeds,
in a paper's layout (e.g. Chou et al. 2025 Table 2: rows = epochs, columns = optimizers).

Reads runs the way `load.load_runs` does (only the run ids the sweep means today), but
reports missing and incomplete runs per cell instead of skipping them silently.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from harness.legacy_folders import stored_run_dir
from harness.runfolder import METRICS, is_complete
from harness.sweep import SweepError, check_keys, expand, load_sweep, varying_keys

from .load import ResultsError, no_complete_runs
from .seeds import best_setting
from .style import claims_report, premise

FORMATS = ("text", "md", "csv", "tex")
TABLE_KEYS = ("table", "paper_table")  # optional top-level sweep keys this module reads
LAYOUT_KEYS = ("rows", "cols", "metric")
PAPER_KEYS = ("metric", "source", "rows")
DEFAULTS = {"cols": "optimizer", "metric": "eval_accuracy"}  # rows: epochs or steps
MISSING = "—"
# Classes per image set, for chance accuracy: harness.data.SHAPES's (which imports torch;
# tests/analysis/test_tables.py checks the two agree). Token sets: one class per token.
CLASSES = {"mnist5k": 10, "cifar10": 10, "imagenet": 1000, "synthetic": 10,
           "stdlib_bytes": 256, "fineweb_edu": 50304, "fineweb10b": 50304}
# Premise of every accuracy table, fixed before the runs: the models learn. Every cell with
# complete runs has a mean accuracy at least LEARNS_SHARE of the way from chance (100/classes
# %) to 100 % (55 % on the digits); near chance, "as well as" and a best λ say nothing.
LEARNS_SHARE = 0.5


def read_sweep(path) -> tuple[dict, dict]:
    """(validated sweep, {table, paper_table} blocks found in the file)."""
    sweep = load_sweep(path)
    return sweep, {k: sweep[k] for k in TABLE_KEYS if k in sweep}


def final_value(path: Path, metric: str) -> float:
    """Last non-null value of `metric`. Read with pyarrow, not pandas: pandas turns nulls
    (not logged on this step) into NaN, which would hide a diverged run's real NaN."""
    try:
        column = pq.read_table(path).column(metric)
    except KeyError:
        names = pq.read_schema(path).names
        raise ResultsError(f"{path}: no column {metric!r}; columns: {', '.join(names)}") from None
    except Exception as e:  # pyarrow raises several types for truncated/corrupt files
        raise ResultsError(f"{path}: unreadable Parquet ({type(e).__name__}: {e}); "
                           "delete the run folder and re-run the sweep") from None
    values = pc.drop_null(column).to_pylist()
    if not values:
        raise ResultsError(f"{path}: {metric} is never logged (all null)")
    return float(values[-1])


def label(value) -> str:
    """Cell key text: 30.0 -> '30' so epochs from configs match paper rows written as 30."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _keys(spec: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in str(spec).split(",") if k.strip())


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)  # finals of complete seeds, as shown
    expected: int = 0
    setting: str = ""  # the other varying keys of the setting chosen for this cell

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else math.nan

    @property
    def std(self) -> float:  # sample std (ddof=1), as the papers report
        return statistics.stdev(self.values) if len(self.values) > 1 else math.nan


@dataclass
class Table:
    sweep: str
    scale: str
    metric: str
    rows_key: str
    cols_key: str
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], Cell]
    percent: bool
    chosen_by: list[str]  # keys over which the best setting per cell was picked
    paper: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    source: str = ""
    datasets: tuple[str, ...] = ()  # of its runs, for chance accuracy


def build(sweep_file, scale: str, results, rows: str | None = None, cols: str | None = None,
          metric: str | None = None) -> Table:
    """Group the sweep's runs into cells; in a cell whose runs differ in more than the seed,
    keep the setting with the best mean (the papers report their tuned setting)."""
    sweep, extra = read_sweep(sweep_file)
    layout = extra.get("table") or {}
    if not isinstance(layout, dict):
        raise SweepError(f"{sweep_file}: table: must be a mapping with keys rows, cols, metric")
    check_keys(sweep_file, "table.", layout, LAYOUT_KEYS)
    runs = expand(sweep, scale)
    fields = tuple(type(runs[0].config).model_fields)
    metric = metric or layout.get("metric") or DEFAULTS["metric"]
    rows = rows or layout.get("rows")
    if not rows:  # the default: epochs, or steps for sweeps whose runs are counted in steps
        rows = "epochs" if any(getattr(r.config, "epochs", None) for r in runs) else "steps"
    cols = cols or layout.get("cols") or DEFAULTS["cols"]
    row_keys, col_keys = _keys(rows), _keys(cols)
    for flag, keys in (("--rows ", row_keys), ("--cols ", col_keys)):
        check_keys(sweep_file, flag, dict.fromkeys(keys), fields)

    def cell_of(cfg) -> tuple[str, str]:
        return ("/".join(label(getattr(cfg, k)) for k in row_keys),
                "/".join(label(getattr(cfg, k)) for k in col_keys))

    fixed = set(row_keys) | set(col_keys) | {"seed"}
    # setting -> (run config, folder) per cell; keys only from those that vary in the sweep.
    varying = [k for k in varying_keys(runs) if k not in fixed]
    groups: dict[tuple[str, str], dict[tuple, list]] = {}
    for run in runs:
        setting = tuple((k, getattr(run.config, k)) for k in varying)
        groups.setdefault(cell_of(run.config), {}).setdefault(setting, []).append(run)

    percent = metric.endswith("accuracy")
    lower_is_better = "loss" in metric or "perplexity" in metric
    cells, chosen_by = {}, set()
    for key, settings in groups.items():
        candidates = []
        for setting, members in settings.items():
            values = []
            for run in members:
                folder = stored_run_dir(results, run)
                if is_complete(folder):
                    value = final_value(folder / METRICS, metric)
                    values.append(100 * value if percent else value)
            candidates.append(Cell(values, len(members),
                                   ", ".join(f"{k}={label(v)}" for k, v in setting)))
        if len(settings) > 1:
            chosen_by |= {k for k in varying if len({dict(s)[k] for s in settings}) > 1}
        best = best_setting({i: c.values for i, c in enumerate(candidates)}, lower_is_better)
        cells[key] = candidates[best]
    order = [cell_of(r.config) for r in runs]  # file order: the grid as the paper lists it
    row_labels, col_labels = (list(dict.fromkeys(k[i] for k in order)) for i in (0, 1))
    table = Table(sweep["name"], scale, metric, ",".join(row_keys), ",".join(col_keys),
                  row_labels, col_labels, cells, percent, [k for k in varying if k in chosen_by],
                  datasets=tuple(dict.fromkeys(r.config.dataset for r in runs)))
    if "paper_table" in extra:
        table.paper, table.source = parse_paper(extra["paper_table"], sweep_file, metric)
    return table


def _paper_value(value, where: str) -> tuple[float, float]:
    """'67.35 ± 0.33', '67.35 +- 0.33', [67.35, 0.33] or 67.35 -> (mean, std or NaN)."""
    parts = value if isinstance(value, list) else re.split(r"±|\+-|\+/-", str(value))
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError):
        numbers = []
    if not 1 <= len(numbers) <= 2:
        raise SweepError(f"{where}: got {value!r}; write 'mean ± std', [mean, std] or a number")
    return numbers[0], numbers[1] if len(numbers) == 2 else math.nan


def parse_paper(block, path, metric: str) -> tuple[dict, str]:
    """The paper's numbers, keyed like our cells, in the units the table prints."""
    if not isinstance(block, dict) or not isinstance(block.get("rows"), dict):
        raise SweepError(f"{path}: paper_table: needs rows: {{<row>: {{<col>: 'mean ± std'}}}}")
    check_keys(path, "paper_table.", block, PAPER_KEYS)
    if block.get("metric", metric) != metric:
        raise SweepError(f"{path}: paper_table.metric: is {block['metric']!r} but the table "
                         f"shows {metric!r}; pass --metric {block['metric']}")
    paper = {}
    for row, values in block["rows"].items():
        if not isinstance(values, dict):
            raise SweepError(f"{path}: paper_table.rows.{row}: must map column -> value")
        for col, value in values.items():
            where = f"{path}: paper_table.rows.{row}.{col}"
            paper[(label(row), label(col))] = _paper_value(value, where)
    return paper, str(block.get("source", "paper"))


def _number(x: float, percent: bool) -> str:
    return f"{x:.2f}" if percent else f"{x:.4g}"


def cell_text(table: Table, key: tuple[str, str], compare: bool, pm: str = "±") -> str:
    cell = table.cells.get(key, Cell())
    if not cell.values:
        text = MISSING
    else:
        text = _number(cell.mean, table.percent)
        if len(cell.values) > 1:
            text += f" {pm} {_number(cell.std, table.percent)}"
    if cell.values and len(cell.values) < cell.expected:
        text += f" ({len(cell.values)}/{cell.expected})"
    if compare and key in table.paper:
        mean, std = table.paper[key]
        theirs = _number(mean, table.percent)
        if not math.isnan(std):
            theirs += f" {pm} {_number(std, table.percent)}"
        text += f" (paper {theirs})"
    return text


def notes(table: Table, compare: bool) -> list[str]:
    lines = [f"mean ± sample std over seeds; (k/n): only k of n seeds complete; "
             f"{MISSING}: no complete run"]
    if table.chosen_by:
        better = "lowest" if ("loss" in table.metric or "perplexity" in table.metric) \
            else "highest"
        lines.append(f"best {', '.join(table.chosen_by)} per cell ({better} mean "
                     f"{table.metric}); --format csv lists each cell's setting")
    if compare:
        ours = {(r, c) for r in table.rows for c in table.cols}
        unmatched = sorted(set(table.paper) - ours)
        lines.append(f"paper: {table.source}"
                     + (f"; {len(unmatched)} paper cell(s) not in this sweep at scale "
                        f"{table.scale}" if unmatched else ""))
    return lines


def title(table: Table) -> str:
    unit = " (%)" if table.percent else ""
    return (f"{table.sweep} [{table.scale}]: final {table.metric}{unit}; rows {table.rows_key},"
            f" columns {table.cols_key}")


def render(table: Table, fmt: str = "text", compare: bool = False) -> str:
    if fmt not in FORMATS:
        raise SweepError(f"--format: unknown {fmt!r}; allowed: {', '.join(FORMATS)}")
    if compare and not table.paper:
        raise SweepError(f"{table.sweep}: --compare-paper needs a top-level paper_table: block "
                         "in the sweep file")
    if fmt == "csv":
        return _csv(table, compare)
    corner = f"{table.rows_key} \\ {table.cols_key}"
    if fmt == "tex":
        return _tex(table, compare, corner)
    grid = [[corner, *table.cols]] + [
        [r, *(cell_text(table, (r, c), compare) for c in table.cols)] for r in table.rows]
    if fmt == "md":
        lines = ["| " + " | ".join(line) + " |" for line in grid]
        lines.insert(1, "|---" + "|---:" * len(table.cols) + "|")
        return "\n".join([f"**{title(table)}**", "", *lines, "",
                          *(f"- {n}" for n in notes(table, compare))])
    widths = [max(len(line[i]) for line in grid) for i in range(len(grid[0]))]
    lines = ["  ".join(text.ljust(w) if i == 0 else text.rjust(w)
                       for i, (text, w) in enumerate(zip(line, widths))).rstrip()
             for line in grid]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([title(table), *lines, *(f"  {n}" for n in notes(table, compare))])


def _csv(table: Table, compare: bool) -> str:
    """One line per cell, numbers unrounded in the table's units (percent for accuracy):
    for plots and diffs, so no title or footnotes that would break a CSV reader."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "col", "mean", "std", "n", "n_expected", "setting"]
                    + (["paper_mean", "paper_std"] if compare else []))
    for r in table.rows:
        for c in table.cols:
            cell = table.cells.get((r, c), Cell())
            values = [r, c, cell.mean, cell.std, len(cell.values), cell.expected, cell.setting]
            values += list(table.paper.get((r, c), (math.nan, math.nan))) if compare else []
            writer.writerow("" if isinstance(v, float) and math.isnan(v) else v for v in values)
    return out.getvalue().rstrip("\n")


def _tex_escape(text: str) -> str:
    return re.sub(r"([_%&#$])", r"\\\1", text)


def _tex(table: Table, compare: bool, corner: str) -> str:
    """booktabs tabular; title and footnotes as % comments for the caption to paraphrase."""
    def row(cells: list[str]) -> str:
        return " & ".join(cells) + r" \\"

    body = [row([_tex_escape(r), *(cell_text(table, (r, c), compare, pm=r"$\pm$")
                                  .replace(MISSING, "---") for c in table.cols)])
            for r in table.rows]
    return "\n".join([f"% {title(table)}", *(f"% {n}" for n in notes(table, compare)),
                      r"\begin{tabular}{l" + "r" * len(table.cols) + "}", r"\toprule",
                      row([_tex_escape(corner.replace("\\", "/")),
                           *map(_tex_escape, table.cols)]),
                      r"\midrule", *body, r"\bottomrule", r"\end{tabular}"])


def table_command(args) -> str:
    """What `harness table` prints (harness/cli.py parses the flags)."""
    table = build(args.sweep, args.scale, args.results, args.rows, args.cols, args.metric)
    return render(table, args.format, args.compare_paper)


def models_learn(table: Table) -> tuple[bool, str, dict] | None:
    """(met, premise line, measured) for an accuracy table: every cell with complete runs at
    least LEARNS_SHARE of the way from chance to 100 % (False on a NaN: a diverged cell);
    None for other metrics or an unknown dataset."""
    if not table.percent or not table.datasets or not set(table.datasets) <= set(CLASSES):
        return None
    chance = 100 / min(CLASSES[d] for d in table.datasets)
    bar = chance + LEARNS_SHARE * (100 - chance)
    means = {f"{r}/{c}": cell.mean for (r, c), cell in table.cells.items() if cell.values}
    worst = min(means, key=lambda k: -math.inf if math.isnan(means[k]) else means[k])
    met = all(m >= bar for m in means.values())
    line = premise(met, f"models learn: lowest cell mean {table.metric} {means[worst]:.2f} % "
                        f"({worst}; needs ≥ {bar:.1f} %, {LEARNS_SHARE:g} of the way from "
                        f"chance {chance:.3g} % to 100 %)")
    return met, line, {"lowest_cell_mean": means[worst], "learns_bar": bar}


def draw_table(sweep_file, scale: str, results, out_dir, claims=None) -> dict:
    """A paper table as an artifact: the sweep file's layout beside the paper's numbers,
    printed and written as Markdown to OUT/<name>_<scale>.md. `claims(table)` -> (shown,
    verdict lines, measured) where the paper states one about the table. An accuracy table
    checks `models_learn` first (its line leads; `premises` in the report, as style.finish)."""
    table = build(sweep_file, scale, results)
    done = sum(bool(c.values) for c in table.cells.values())
    if not done:
        raise no_complete_runs(sweep_file, scale, results)
    path = Path(out_dir) / f"{table.sweep}_{scale}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    compare = bool(table.source)  # the paper's numbers beside ours, where the sweep has them
    markdown = render(table, "md", compare)
    path.write_text(markdown + "\n")
    report = {"claims": {}, "verdicts": [render(table, "text", compare)],
              "files": [str(path)], "markdown": markdown,
              "status": f"table ({done}/{len(table.cells)} cells)"}
    if claims is not None:
        shown, verdicts, measured = claims(table)
        report["claims"] = claims_report(shown, measured)
        report["verdicts"] = verdicts + report["verdicts"]
        report["markdown"] = "\n".join(verdicts) + "\n\n" + markdown
        del report["status"]  # judged like a figure: shown / not shown
    learns = models_learn(table)
    if learns is not None:  # the premise line first; report.py marks a table whose premise fails
        met, line, measured = learns
        report["premises"] = {"models_learn": met}
        report["verdicts"].insert(0, line)
        report["markdown"] = line + "\n\n" + report["markdown"]
        if claims is not None:
            report["claims"]["measured"].update(measured)
    return report
