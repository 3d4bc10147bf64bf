"""analysis/report.py: the report lists every artifact, says which were not run, and draws
those that need no runs."""

from __future__ import annotations

from analysis.artifacts import discover
from analysis.report import artifact_rows, write_report


def test_report_lists_every_artifact_and_says_not_run(tmp_path):
    md, page, entries = write_report("smoke", str(tmp_path / "empty"))
    computed = {a.name for a in discover() if a.sweep_file is None}
    assert computed == {"kosson2026-figure-2"}  # exact arithmetic: drawn and checked without runs
    assert all(e["status"] == "not run" for n, e in entries.items() if n not in computed)
    assert entries["kosson2026-figure-2"]["status"] == "shown"
    text = md.read_text()
    for name in entries:
        assert f"## {name}" in text
    assert page.read_text().startswith("<!doctype html>")
    rows = artifact_rows(with_estimate=False)
    assert {r["artifact"] for r in rows} >= set(entries)


def test_the_report_says_what_is_not_reproduced(tmp_path):
    md, _, entries = write_report("smoke", str(tmp_path / "empty"))
    assert "model sizes are not matched" in entries["kosson2026-figure-7"]["not_reproduced"]
    assert entries["chou2025-figure-1"]["quote"].startswith("Fig. 1:")
    text = md.read_text()
    assert "Not reproduced here: the summary's model sizes are not matched" in text
    assert "> Fig. 1: “negligible differences" in text


def test_a_partial_sweep_is_not_judged(fake_sweep, write_sweep, tmp_path):
    """Two of three lr runs done: the missing one could be the optimum, so the artifact is
    'not run' (with the count) rather than judged on an lr grid with a hole."""
    from types import SimpleNamespace

    from conftest import CLAIMS_SWEEP, write_fake_run

    from harness.sweep import expand

    drawn = []
    module = SimpleNamespace(draw=lambda *a: drawn.append(a) or {"claims": {}, "verdicts": [],
                                                                  "files": []})
    sweep = {**CLAIMS_SWEEP, "grid": {"lr": [0.01, 0.02, 0.04]}}
    path, results = fake_sweep(sweep, how=lambda cfg: None if cfg.lr == 0.04 else {})
    from analysis.report import artifact_claims

    entry = artifact_claims(SimpleNamespace(module=module, sweep_file=str(path)), "smoke",
                            str(results), tmp_path / "figures")
    assert entry["status"] == "not run" and not drawn
    assert entry["detail"].startswith(f"2 of 3 runs of {path} complete")
    path, results = fake_sweep(sweep, folder=tmp_path / "all")
    entry = artifact_claims(SimpleNamespace(module=module, sweep_file=str(path)), "smoke",
                            str(results), tmp_path / "figures")
    assert entry["status"] == "shown" and len(drawn) == 1
    # A panel drawn from another artifact's runs (`ALSO`, its sweep beside this one's) is
    # judged only once that sweep is complete too.
    panel = write_sweep({**sweep, "name": "panel"}, "figure-9.yaml")
    for run in expand(panel, "smoke")[:2]:
        write_fake_run(results, run)
    module.ALSO = ("paper-figure-9",)
    entry = artifact_claims(SimpleNamespace(module=module, sweep_file=str(path)), "smoke",
                            str(results), tmp_path / "figures")
    assert entry["status"] == "not run" and len(drawn) == 1
    assert entry["detail"].startswith(f"2 of 3 runs of {panel} complete")


def test_an_artifact_counts_the_runs_of_every_sweep_it_draws(fake_sweep, write_sweep):
    """make list's runs and estimate, and the report's training minutes, add the sweeps an
    artifact's ALSO panels draw from to its own: make trains them all for it."""
    from conftest import CLAIMS_SWEEP, write_fake_run

    from analysis.reproduction import training_seconds
    from harness.sweep import expand

    rows = {r["artifact"]: r for r in artifact_rows(with_estimate=False)}
    fig1 = next(a for a in discover() if a.name == "kosson2026-figure-1")
    mini = len({r.run_id for f in fig1.sweep_files for r in expand(f, "mini")})  # shared once
    assert len(fig1.sweep_files) == 3 and mini > len(expand(fig1.sweep_file, "mini"))
    listed = rows[fig1.name]["runs per scale"]
    assert f"mini {mini}," in listed and "(with the runs of kosson2026-figure-11" in listed
    path, results = fake_sweep({**CLAIMS_SWEEP, "grid": {"lr": [0.01, 0.02]}},
                               how=lambda cfg: None)  # nothing of its own is complete
    panel = write_sweep({**CLAIMS_SWEEP, "name": "panel"}, "figure-9.yaml")
    assert training_seconds([str(path)], "smoke", str(results)) is None
    for run in expand(panel, "smoke"):
        write_fake_run(results, run, done={"steps": run.config.steps, "seconds": 30.0})
    assert training_seconds([str(path), str(panel)], "smoke", str(results)) == 30.0
