"""One CLI: `harness figure|report|list` run the analysis commands (as a process: harness never
imports analysis), with their exit codes."""

from __future__ import annotations

import json

from harness.cli import main


def test_harness_figure_draws_and_fails_like_analysis(tmp_path, capfd):
    results = tmp_path / "results"
    assert main(["figure", "kosson2026-figure-2", "--scale", "smoke", "--results",
                 str(results)]) == 0
    claims = json.loads((results / "figures" / "kosson2026-figure-2_smoke.claims.json")
                        .read_text())
    assert claims and all(v["shown"] for k, v in claims.items() if k != "measured")
    assert main(["figure", "no-such-artifact", "--results", str(results)]) == 2
    assert "no-such-artifact" in capfd.readouterr().err


def test_harness_list_and_report(tmp_path, capfd):
    assert main(["list"]) == 0
    assert "defazio2025-figure-3" in capfd.readouterr().out
    assert main(["report", "--scale", "smoke", "--results", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.md").is_file()
