"""`python -m analysis ARTIFACT --scale S`: draw one paper artifact and check its claims."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.sweep import SweepError

from . import chou2025, defazio2025
from .load import ResultsError

ARTIFACTS = {  # name -> (draw function, sweep file it reads)
    "defazio2025-fig2": (defazio2025.figure2, "experiments/defazio2025/figure2.yaml"),
    "defazio2025-fig3": (defazio2025.figure3, "experiments/defazio2025/figure3.yaml"),
    "defazio2025-fig4": (defazio2025.figure4, "experiments/defazio2025/figure4.yaml"),
    "defazio2025-fig5": (defazio2025.figure5, "experiments/defazio2025/figure5.yaml"),
    "chou2025-fig7": (chou2025.figure7, "experiments/chou2025/figure7.yaml"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("artifact", help=f"one of {', '.join(ARTIFACTS)}")
    parser.add_argument("--scale", default="mini")
    parser.add_argument("--results", default="results")
    parser.add_argument("--out", default=None, help="figure folder (RESULTS/figures)")
    args = parser.parse_args(argv)
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
