"""docs/reproduction.md and the README's table are generated from the report's entries: the
counts, premises, runtimes and thumbnails come from the results, and a README without the
markers is refused rather than appended to."""

from __future__ import annotations

import json
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.reproduction import (
    README_BEGIN,
    README_END,
    THUMBNAIL_PX,
    carried_line,
    carry_over,
    distinct_runs,
    every_run,
    measured_line,
    update_readme,
    write_reproduction,
)


def _png(path, inches=(16, 10)):
    fig = plt.figure(figsize=inches, dpi=150)
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def _entries(tmp_path):
    figure = _png(tmp_path / "chou2025-figure-1_mini.png")
    return {
        "chou2025-figure-1": {"status": "shown", "claims": {"equivalent": True},
                              "premises": {"learns early": True}, "detail": "SHOWN  x",
                              "files": [figure], "quote": "negligible differences"},
        "chou2025-figure-4": {"status": "not shown (premise not met)", "claims": {"a": False},
                              "premises": {"learns early": False}, "detail": "", "files": []},
        "kosson2026-figure-2": {"status": "not run", "claims": {}, "detail": "", "files": []},
        "chou2025-figure-5": {"status": "not shown", "claims": {"b": False},
                              "premises": {"learns early": True}, "files": [],
                              "detail": "NOT SHOWN  b\nCAUSE      ‖g‖ follows the fit"},
        "chou2025-figure-6": {"status": "not shown", "claims": {"c": False},
                              "premises": {"learns early": True}, "files": [],
                              "detail": "NOT SHOWN  c"},
    }


def test_report_counts_premises_record_and_thumbnails(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    record = {"jobs": 2, "threads_per_job": 1, "cores": 2, "runs": 213, "wall_s": 7200.0,
              "started": "2026-12-01T14:30:00", "complete_before": 0, "complete": 200,
              "state": "interrupted", "mean_load": 4.1, "estimated_s": 11000,
              "copied_to_other_sweeps": 36, "incomplete": []}
    (results / "reproduce_mini.json").write_text(json.dumps(record))
    docs = tmp_path / "docs"
    path = write_reproduction("mini", str(results), _entries(tmp_path), docs)
    text = path.read_text()
    assert ("**1 of 5 artifacts SHOWN**; 2 not shown (1 of them without a measured cause), 1 "
            "with their premise not met, 1 not run" in text)
    # the one without a CAUSE line says so in its section; the other two failures do not
    assert text.count("Cause: not measured by this check yet") == 1
    assert text.index("Cause: not measured") > text.index("## chou2025-figure-6")
    assert "from an empty results folder) was **interrupted** after **120 min**" in text
    assert "200 of 213 distinct runs complete" in text
    # the shipped sweeps mean more runs than this record's 213: the doc says the record is old
    assert f"they now mean {distinct_runs('mini')} distinct runs (this record counted 213)" in text
    assert "mean load was 4.1 on 2 cores" in text  # other work ran beside it: said
    assert "| **not shown (premise not met)** | NOT MET: learns early |" in text
    assert "> negligible differences" in text
    thumb = docs / "figures" / "chou2025-figure-1_mini.png"
    assert "![chou2025-figure-1](figures/chou2025-figure-1_mini.png)" in text
    with Image.open(thumb) as image:
        assert max(image.size) == THUMBNAIL_PX  # 2400 px wide at the source


def test_without_a_reproduce_record_no_runtime_is_claimed(tmp_path):
    path = write_reproduction("mini", str(tmp_path), _entries(tmp_path), tmp_path / "docs")
    assert "no total runtime is measured" in path.read_text()


def test_the_measured_training_time_counts_each_distinct_run_once(tmp_path):
    """Two runs of a real sweep done in 90 s each: 3 min measured, ≥ 1.5 min on 2 workers, the
    rest priced by the cost model scaled by its ratio on those two. The sweep is one two
    artifacts draw (Defazio Figs. 1 and 4): its runs count once, as they train once."""
    from conftest import write_fake_run

    from harness.sweep import expand

    results = tmp_path / "results"
    assert "nothing measured" in measured_line(str(results), "smoke")
    runs = expand("experiments/defazio2025/figure-4.yaml", "smoke")[:2]
    for run in runs:
        write_fake_run(results, run, done={"steps": run.config.steps, "seconds": 90.0})
    line = measured_line(str(results), "smoke")
    total = len(every_run("smoke"))
    assert total == distinct_runs("smoke") > 2
    assert line.startswith(f"Measured: the 2 of {total} distinct runs complete in this folder "
                           "trained for **3 min**")
    # the missing runs: the cost model's price, scaled by its miss on the complete ones
    from harness.cost import run_seconds

    ratio = 180.0 / sum(map(run_seconds, runs))
    rest = sum(run_seconds(r) for i, r in every_run("smoke").items()
               if i not in {run.run_id for run in runs})
    assert (f"≥ 2 min of wall time on 2 workers; the {total - 2} missing runs ≈ "
            f"{rest * ratio / 60:.0f} min more of training (make list's cost model × "
            f"{ratio:.2f}") in line


def test_a_carried_record_says_todays_run_count_not_its_own():
    """A record's "the sweeps have changed since: they now mean N" was true when its report
    was written; carried into a later report it would read as today's, so it is replaced."""
    old = ("make reproduce was interrupted. The sweeps have changed since: they now mean 511 "
           "distinct runs (this record counted 214).")
    (line, _) = carried_line({"2026-12-02": old}, "smoke")
    assert "511" not in line and "The report of 2026-12-02: make reproduce was interrupted." in line
    assert line.endswith(f"Today the sweeps mean {distinct_runs('smoke')} distinct runs.")


def test_readme_block_is_rewritten_in_place(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# top\n\n{README_BEGIN}\nold table\n{README_END}\n\n## after\n")
    update_readme(readme, _entries(tmp_path), "mini", tmp_path / "docs" / "reproduction.md")
    text = readme.read_text()
    assert "old table" not in text and text.startswith("# top") and text.endswith("## after\n")
    assert "| [chou2025-figure-4](docs/reproduction.md#chou2025-figure-4) | not shown" in text
    update_readme(readme, _entries(tmp_path), "mini", tmp_path / "docs" / "reproduction.md")
    assert text == readme.read_text()  # idempotent


def test_readme_without_markers_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no block\n")
    with pytest.raises(ValueError, match="no <!-- reproduction:begin -->"):
        update_readme(readme, _entries(tmp_path), "mini", tmp_path / "reproduction.md")
    assert readme.read_text() == "# no block\n"


def test_paper_readmes_get_one_generated_row_per_artifact(tmp_path, monkeypatch):
    import shutil

    from analysis import reproduction
    from analysis.artifacts import ROOT, discover

    for readme in (ROOT / "experiments").glob("*/README.md"):
        copy = tmp_path / readme.relative_to(ROOT)
        copy.parent.mkdir(parents=True)
        shutil.copy(readme, copy)
    monkeypatch.setattr(reproduction, "ARTIFACT_ROOT", tmp_path)
    entries = {"chou2025-figure-1": {"status": "shown"}}
    written = reproduction.update_paper_readmes(
        entries, "mini", tmp_path / "docs" / "reproduction.md", {"chou2025-figure-1": 90.0})
    assert len(written) == len({a.paper for a in discover()})
    for artifact in discover():
        text = (tmp_path / "experiments" / artifact.paper / "README.md").read_text()
        status = "shown" if artifact.name in entries else "not run"
        assert text.count(f"| **{artifact.name}**: ") == 1
        assert f"[{status}](../../docs/reproduction.md#{artifact.name})" in text
    chou = (tmp_path / "experiments" / "chou2025" / "README.md").read_text()
    assert "training 1.5 min" in chou and "Renormalized AdamW" in chou  # from its docstring


def test_an_artifact_not_run_here_keeps_its_last_entry_marked_carried(tmp_path):
    """Re-running one artifact rewrites its section and leaves the others as the last report
    measured them, dated; --fresh reports only this folder's runs."""
    results, docs = tmp_path / "results", tmp_path / "docs"
    results.mkdir()
    first = _entries(tmp_path)
    write_reproduction("mini", str(results), first, docs)
    saved = json.loads((docs / "reproduction.json").read_text())
    assert saved["artifacts"]["chou2025-figure-1"]["figure"] == "figures/chou2025-figure-1_mini.png"

    second = {name: {"status": "not run", "claims": {}, "detail": "no complete runs",
                     "files": []} for name in first}
    second["chou2025-figure-6"] = {"status": "shown", "claims": {"c": True}, "files": [],
                                   "premises": {"learns early": True}, "detail": "SHOWN  c"}
    time.sleep(1.1)  # reports are named by the second they were written in
    text = write_reproduction("mini", str(results), second, docs).read_text()
    assert "**2 of 5 artifacts SHOWN**" in text  # figure 1 carried, figure 6 now shown
    assert "1 not run; 3 of these carried over from earlier reports" in text  # fig. 2 never ran
    section = text[text.index("## chou2025-figure-1"):text.index("## chou2025-figure-4")]
    assert f"*Carried over* from the report generated {saved['generated']}" in section
    assert "![chou2025-figure-1](figures/chou2025-figure-1_mini.png)" in section
    assert f"The report of {saved['generated']}: No `harness reproduce` record" in text
    six = text[text.index("## chou2025-figure-6"):]
    assert "Carried over" not in six.split("##")[0] and "SHOWN  c" in six
    again = json.loads((docs / "reproduction.json").read_text())["artifacts"]
    assert again["chou2025-figure-1"]["carried_from"] == saved["generated"]
    assert "carried_from" not in again["chou2025-figure-6"]

    # a third report, nothing run: each carried entry keeps the record of the report that ran it
    (results / "reproduce_mini.json").write_text(json.dumps({
        "jobs": 2, "threads_per_job": 1, "cores": 2, "runs": 9, "wall_s": 600.0,
        "started": "2026-12-07T08:00:00", "complete_before": 0, "state": "finished",
        "estimated_s": 600, "copied_to_other_sweeps": 0}))
    third = {n: {"status": "not run", "claims": {}, "detail": "", "files": []} for n in first}
    time.sleep(1.1)
    text = write_reproduction("mini", str(results), third, docs).read_text()
    assert "4 of these carried over" in text
    assert f"The report of {saved['generated']}: No `harness reproduce` record" in text
    records = json.loads((docs / "reproduction.json").read_text())["records"]
    assert len(records) == 3 and "was **finished**" in list(records.values())[-1]

    fresh = write_reproduction("mini", str(results), second, docs, fresh=True).read_text()
    assert "**1 of 5 artifacts SHOWN**" in fresh and "carried over" not in fresh


def test_a_partly_run_artifact_is_not_carried():
    """Not run here but with some complete runs (a partial sweep): said as not run, not
    hidden behind an older entry."""
    previous = {"generated": "2026-12-01", "artifacts": {"a": {"status": "shown"},
                                                         "b": {"status": "shown"}}}
    entries = {n: {"status": "not run", "claims": {}, "detail": "", "files": []} for n in "ab"}
    carried, seconds = carry_over(entries, {"a": None, "b": 120.0}, previous)
    assert carried["a"]["carried_from"] == "2026-12-01" and carried["b"]["status"] == "not run"
    assert seconds == {"a": None, "b": 120.0}
