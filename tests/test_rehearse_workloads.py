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


def test_a_run_that_starts_from_another_is_rehearsed_as_a_pair_both_cut(monkeypatch, tmp_path):
    """Kosson Fig. 10's re-warming child (init_from) is a workload of its own; cut for the
    rehearsal, it still expands to its parent (also cut to 4 steps) and then itself."""
    import yaml

    from harness.rehearse import CUT, rehearsal_config
    from harness.sweep import expand

    monkeypatch.chdir(REPO)
    found = workloads()
    pairs = {n: cfg for n, (_, cfg, _) in found.items() if cfg.init_from}
    cfg = pairs["kosson2026-gpt-llama-bf16-fineweb_edu-init_from"]
    sweep = tmp_path / "pair.yaml"
    sweep.write_text(yaml.safe_dump({"name": "pair", "paper": "rehearsal",
                                     "scales": {"paper": rehearsal_config(cfg)}}))
    parent, child = expand(sweep, "paper")
    assert parent.keep_final and not child.keep_final
    assert parent.config.steps == child.config.steps == CUT["steps"]
    assert (parent.config.warmup_steps, child.config.warmup_steps) == (0, CUT["warmup_steps"])
    assert (parent.config.depth, parent.config.width) == (cfg.depth, cfg.width) == (10, 768)


def test_a_pair_stuck_in_slurm_times_out_instead_of_hanging():
    """`harness run --wait` polls SLURM with no end of its own: the pair runs under a
    deadline, which raises in the waiting (main) thread and is then disarmed."""
    import time

    import pytest

    from harness.rehearse import _deadline

    with pytest.raises(TimeoutError, match="waiting for the pair"):
        with _deadline(1, "the pair"):
            time.sleep(3)
    with _deadline(1, "nothing"):
        pass
    time.sleep(1.5)  # disarmed: no alarm fires after the block
