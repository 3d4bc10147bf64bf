"""`python -m analysis ARTIFACT --scale S`: draw one paper artifact and check its claims;
`python -m analysis list` / `report`: every artifact / every claim (analysis/report.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.sweep import SweepError

from .load import ResultsError
from .registry import FIGURES as ARTIFACTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("artifact", help=f"one of {', '.join(ARTIFACTS)}; or list, report")
    parser.add_argument("--scale", default="mini")
    parser.add_argument("--results", default="results")
    parser.add_argument("--out", default=None, help="figure folder (RESULTS/figures)")
    args = parser.parse_args(argv)
    if args.artifact in ("list", "report"):
        from .report import artifact_rows, write_report

        if args.artifact == "list":
            from harness.inspect_params import format_table

            print(format_table(artifact_rows()))
            return 0
        md, page, entries = write_report(args.scale, args.results)
        for name, e in entries.items():
            print(f"{e['status']:>22}  {name}")
        print(f"wrote {md} and {page}")
        return 0
    if args.artifact not in ARTIFACTS:
        print(f"error: unknown artifact {args.artifact!r}; allowed: {', '.join(ARTIFACTS)}",
              file=sys.stderr)
        return 2
    draw, sweep_file = ARTIFACTS[args.artifact]
    out = Path(args.out or Path(args.results) / "figures")
    try:
        report = draw(sweep_file, args.scale, args.results, out)
    except (ResultsError, SweepError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    claims_file = out / f"{args.artifact.replace('-', '_')}_{args.scale}.claims.json"
    claims_file.write_text(json.dumps(report["claims"], indent=2) + "\n")
    print("\n".join(report["verdicts"]))
    print("wrote " + ", ".join(report["files"] + [str(claims_file)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
