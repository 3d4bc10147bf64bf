"""`make rehearse` takes each workload's first paper run as it is: the runs it picks must be
the papers' methods, so the paper-scale path of each optimizer family runs through SLURM."""

from __future__ import annotations

from pathlib import Path

from harness.rehearse import workloads

REPO = Path(__file__).resolve().parents[1]


def test_every_paper_has_a_workload_and_kosson_rehearses_md(monkeypatch):
    monkeypatch.chdir(REPO)  # workloads() globs experiments/ from the repository root
    found = workloads()
    assert {name.split("-")[0] for name in found} >= {"background", "chou2025", "defazio2025",
                                                      "kosson2026"}
    kosson = [cfg for name, (_, cfg, _) in found.items() if name.startswith("kosson2026")]
    # Kosson Fig. 1 lists MuonMD first for this; a baseline first would leave MD unrehearsed
    gpts = [c for c in kosson if c.model == "gpt"]
    assert gpts and all(c.optimizer == "muonmd" and c.gains == "row+col" for c in gpts)
    # nGPT (Fig. 15) is an architecture of its own: rehearsed as proposed, at its paper size
    assert [(c.model, c.optimizer, c.width) for c in kosson if c.model == "ngpt"] == [
        ("ngpt", "adamw", 832)]
