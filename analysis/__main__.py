"""`python -m analysis ARTIFACT --scale S`: draw one paper artifact and check its claims.
`list`: every artifact found in the tree; `report`: every claim (analysis/report.py) and the
results page (analysis/results_page.py);
`table SWEEP`: a final metric per cell as mean ± std over seeds (what `harness table` runs);
`sweep ARTIFACT`: the sweep files an artifact draws from, one per line (none: empty), for the
Makefile."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.sweep import SweepError

from .artifacts import find
from .load import ResultsError

RESULTS = os.environ.get("WDLAB_RESULTS", "results")  # as harness: one variable for both


def _table_command(argv: list[str]) -> int:
    from .tables import FORMATS, table_command

    parser = argparse.ArgumentParser(prog="python -m analysis table")
    parser.add_argument("sweep")
    parser.add_argument("--scale", default="mini")
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--format", default="text", choices=FORMATS)
    parser.add_argument("--metric", default=None, help="metrics.parquet column (eval_accuracy)")
    parser.add_argument("--rows", default=None, help="run key(s), comma-separated (epochs)")
    parser.add_argument("--cols", default=None, help="run key(s), comma-separated (optimizer)")
    parser.add_argument("--compare-paper", action="store_true",
                        help="show the sweep file's paper_table value beside each cell")
    args = parser.parse_args(argv)
    try:
        print(table_command(args))
    except (ResultsError, SweepError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def _draw(args) -> int:
    try:
        artifact = find(args.artifact)
        out = Path(args.out or Path(args.results) / "figures")
        report = artifact.module.draw(artifact.sweep_file, args.scale, args.results, out)
    except (ResultsError, SweepError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    claims_file = out / f"{artifact.name}_{args.scale}.claims.json"
    claims_file.write_text(json.dumps(report["claims"], indent=2) + "\n")
    print("\n".join(report["verdicts"]))
    print("wrote " + ", ".join(report["files"] + [str(claims_file)]))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["table"]:
        return _table_command(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("artifact", nargs="?", default="list",
                        help="an artifact (python -m analysis list), or list, report, sweep")
    parser.add_argument("name", nargs="?", help="with `sweep`: the artifact")
    parser.add_argument("--scale", default="mini")
    parser.add_argument("--results", default=RESULTS)
    parser.add_argument("--out", default=None, help="figure folder (RESULTS/figures)")
    parser.add_argument("--docs", default=None,
                        help="with `report`: also write DOCS/reproduction.md + DOCS/figures/")
    parser.add_argument("--fresh", action="store_true",
                        help="with --docs: only this results folder's runs (else an artifact "
                        "not run here keeps its entry of the last report, marked carried over)")
    parser.add_argument("--readme", default=None,
                        help="with --docs: rewrite this README's reproduction block")
    parser.add_argument("--html", default=None, metavar="PATH",
                        help="with `report`: write the results page here (RESULTS/report.html)")
    args = parser.parse_args(argv)
    if args.artifact == "sweep":
        try:
            print("\n".join(find(args.name or "").sweep_files))
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        return 0
    if args.artifact == "list":
        from harness.text_table import format_table

        from .report import artifact_rows

        print(format_table(artifact_rows()))
        return 0
    if args.artifact == "report":
        from .report import write_report

        md, page, entries = write_report(args.scale, args.results, args.html)
        for name, e in entries.items():
            print(f"{e['status']:>27}  {name}")
        print(f"wrote {md} and {page}")
        if args.docs:
            from .reproduction import write_reproduction

            readme = Path(args.readme) if args.readme else None
            doc = write_reproduction(args.scale, args.results, entries, args.docs, readme,
                                     fresh=args.fresh)
            print(f"wrote {doc}" + (f" and {readme}'s reproduction table" if readme else ""))
        return 0
    return _draw(args)


if __name__ == "__main__":
    sys.exit(main())
