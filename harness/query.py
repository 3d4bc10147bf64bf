"""`harness query "SQL"`: DuckDB over a results folder, with one view per kind of table.

- `runs`: every sweep's index (RESULTS/<sweep>/<scale>/runs.parquet, harness/index.py), one
  row per run with its config keys, state and final metrics;
- `metrics`, `layers`, `norms`: every run folder's metrics.parquet / layers.parquet /
  norms.parquet (simulations), each row with the `run_id`, `sweep` and `scale` of the folder
  it came from, so they join with `runs` on `run_id` (and `sweep`, `scale`: one run id can
  belong to several sweeps).

Files are listed in Python (not globbed in SQL), so an empty results folder is one clear
error, and the views read Parquet lazily: a query touching `runs` only never opens the
per-step files. DuckDB is optional (`pip install 'wdlab[query]'`; pinned in
requirements.lock): nothing else in the harness imports it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .index import INDEX
from .runfolder import LAYERS, METRICS, NORMS

DEFAULT_RESULTS = os.environ.get("WDLAB_RESULTS", "results")
# view name -> the file it unions: the index sits beside the run folders, the others in them
VIEWS = {"runs": f"*/*/{INDEX}", "metrics": f"*/*/*/{METRICS}", "layers": f"*/*/*/{LAYERS}",
         "norms": f"*/*/*/{NORMS}"}
FORMATS = ("text", "csv", "json")


class QueryError(RuntimeError):
    """A user error: one line on stderr, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sql", help="a DuckDB query over the views runs, metrics, layers, "
                        "norms, e.g. \"SELECT sweep, lr, final_eval_accuracy FROM runs WHERE "
                        "state = 'done'\"")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="results folder (results/)")
    parser.add_argument("--format", default="text", choices=FORMATS,
                        help="text (an aligned table; the default), csv or json (records)")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(_sql_string(str(p)) for p in paths) + "]"


def _duckdb():
    try:
        import duckdb
    except ImportError:
        raise QueryError("harness query needs duckdb: pip install 'wdlab[query]' (or "
                         "pip install --no-deps -r requirements.lock, which pins it)") from None
    return duckdb


def connect(results: str | Path):
    """A DuckDB connection with the views over `results`; QueryError when duckdb is missing
    or there is no run index to query."""
    duckdb = _duckdb()
    root = Path(results)
    found = {view: sorted(root.glob(pattern)) for view, pattern in VIEWS.items()}
    if not found["runs"]:
        raise QueryError(f"no run index ({INDEX}) under {root}/<sweep>/<scale>/; run a sweep "
                         "first (harness run / harness reproduce), or pass --results DIR")
    con = duckdb.connect(":memory:")
    # union_by_name: indexes written before a config key existed lack its column (null there)
    con.execute(f"CREATE VIEW runs AS SELECT * FROM read_parquet("
                f"{_file_list(found['runs'])}, union_by_name = true)")
    for view, files in found.items():
        if view == "runs" or not files:
            continue  # a view with no file would not bind: DuckDB then names it as missing
        # the folder names the run: RESULTS/<sweep>/<scale>/<run id>/<file>
        con.execute(f"CREATE VIEW {view} AS SELECT parts[-2] AS run_id, parts[-4] AS sweep, "
                    f"parts[-3] AS scale, * EXCLUDE (filename, parts) FROM (SELECT *, "
                    f"string_split(filename, '/') AS parts FROM read_parquet("
                    f"{_file_list(files)}, union_by_name = true, filename = true))")
    return con


def run_query(sql: str, results: str | Path):
    """The query's result as a DataFrame (None for a statement that returns no rows, e.g.
    SET); QueryError carrying DuckDB's message for a bad query."""
    duckdb, con = _duckdb(), connect(results)
    try:
        relation = con.sql(sql)
        return None if relation is None else relation.df()
    except duckdb.Error as e:
        views = ", ".join(sorted(v for (v,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()))
        message = " ".join(str(e).split())  # DuckDB's messages span lines: keep one
        raise QueryError(f"query over {results}: {message} (views: {views})") from None
    finally:
        con.close()


def _text(frame) -> str:
    from .text_table import format_table

    if frame.empty:
        return "  ".join(frame.columns) + "\n(0 rows)"
    rows = [{c: ("" if _is_null(v) else v.tolist() if hasattr(v, "tolist") else v)
             for c, v in row.items()}  # arrays (list columns) print as lists
            for row in frame.to_dict(orient="records")]
    return format_table(rows)


def _is_null(value) -> bool:
    try:
        return value is None or bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # lists and arrays: not null
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harness query", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        frame = run_query(args.sql, args.results)
    except QueryError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if frame is None:
        return 0
    try:
        if args.format == "csv":
            frame.to_csv(sys.stdout, index=False)
        elif args.format == "json":
            print(frame.to_json(orient="records", date_format="iso"))
        else:
            print(_text(frame))
    except BrokenPipeError:  # `harness query ... | head`
        sys.stderr.close()
    return 0

