"""The measured total of `make reproduce` (from RESULTS/reproduce_<scale>.json) against the
issue's goal of every artifact at mini in ≤ 120 min on 2 cores → section `reproduce` of
docs/benchmarks.md. Run by `make reproduce` at mini; it measures nothing itself."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from doc import write_section

GOAL_MIN = 120  # all 35 artifacts at mini from empty results, 2 cores


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default="results")
    parser.add_argument("--scale", default="mini")
    args = parser.parse_args()
    path = Path(args.results) / f"reproduce_{args.scale}.json"
    if not path.is_file():
        print(f"error: {path}: missing; run `make reproduce` first", file=sys.stderr)
        return 2
    r = json.loads(path.read_text())
    minutes = r["wall_s"] / 60
    why = [w for w, bad in (("resumed", r["complete_before"]),
                            (f"state {r['state']}", r["state"] != "finished"),
                            ("runs incomplete", r["incomplete"]),
                            (f"mean load {r['mean_load']} on {r['cores']} cores: other work "
                             "shared them", (r["mean_load"] or 0) > r["cores"] + 0.5)) if bad]
    verdict = (f"not comparable with the goal ({'; '.join(why)})" if why else
               f"**{'within' if minutes <= GOAL_MIN else 'over'} the {GOAL_MIN}-min goal**")
    write_section("reproduce", [
        "## Every artifact at mini (`make reproduce`)", "",
        f"Started {r['started']}: {r['runs']} distinct runs ({r['copied_to_other_sweeps']} "
        f"copied to the other artifacts that share them) over {len(r['sweeps'])} sweeps, "
        f"{r['jobs']} workers × {r['threads_per_job']} thread(s), "
        f"{r['complete_before']} complete before, {r['complete']} complete at the end.", "",
        "| measured wall time | make list's estimate (2 cores, one run at a time) | goal |",
        "|---|---|---|",
        f"| {minutes:.0f} min | {r['estimated_s'] / 60:.0f} min | ≤ {GOAL_MIN} min |", "",
        f"Measured: {verdict}. Per-artifact training times: docs/reproduction.md."])
    return 0


if __name__ == "__main__":
    sys.exit(main())
