"""`harness reproduce` and shared runs: a run two sweeps share trains once and is copied (the
copy is the very run: same DONE, same metrics), an interrupted reproduce resumes, the work
list is ordered and deduplicated, and a failing run is recorded without stopping the rest."""

from __future__ import annotations

import json

import yaml
from conftest import SMOKE_SWEEP, run_inline

from harness.cli import main
from harness.reproduce import work_list
from harness.runfolder import CONFIG, DONE, METRICS, is_complete, read_frame
from harness.sweep import expand, run_dir


def _two_sweeps(write_sweep):
    """Sweep a with lr 0.1, 0.2; sweep b with lr 0.2, 0.3: lr 0.2 is the same run in both."""
    a = write_sweep({**SMOKE_SWEEP, "name": "share-a", "grid": {"lr": [0.1, 0.2]}}, "a.yaml")
    b = write_sweep({**SMOKE_SWEEP, "name": "share-b", "grid": {"lr": [0.2, 0.3]}}, "b.yaml")
    return a, b


def _by_lr(sweep):
    return {r.config.lr: r for r in expand(sweep, "smoke")}


def test_a_shared_run_is_copied_not_trained(write_sweep, tmp_path, capsys):
    a, b = _two_sweeps(write_sweep)
    results = tmp_path / "results"
    run_inline(a, results)
    capsys.readouterr()
    run_inline(b, results)
    said = capsys.readouterr()
    assert "1 run(s) copied from other sweeps" in said.err
    assert "share-b [smoke]: 1 run(s) executed" in said.out  # only lr 0.3 trained
    mine, twin = run_dir(results, _by_lr(b)[0.2]), run_dir(results, _by_lr(a)[0.2])
    assert mine.parent.parent.name == "share-b" and is_complete(mine)
    assert (mine / DONE).read_text() == (twin / DONE).read_text()
    assert read_frame(mine / METRICS).equals(read_frame(twin / METRICS))
    assert yaml.safe_load((mine / CONFIG).read_text())["sweep"] == "share-b"


def test_work_list_trains_each_shared_run_once_cheapest_sweep_first(write_sweep):
    cheap = write_sweep({**SMOKE_SWEEP, "name": "cheap", "grid": {"lr": [0.1, 0.2]}}, "c.yaml")
    dear = write_sweep({**SMOKE_SWEEP, "name": "dear", "steps": 40,
                        "grid": {"lr": [0.2, 0.3], "steps": [4, 40]}}, "d.yaml")
    work, per_sweep = work_list([str(dear), str(cheap)], "smoke")
    ids = [r.run_id for r, *_ in work]
    assert len(ids) == len(set(ids)) == 5  # 2 + 4, the (lr 0.2, 4 steps) run once
    assert [r.sweep for r, *_ in work] == ["cheap"] * 2 + ["dear"] * 3
    dear_seconds = [s for r, _, s in work if r.sweep == "dear"]
    assert dear_seconds == sorted(dear_seconds, reverse=True)  # longest first
    assert sum(map(len, per_sweep.values())) == 6


def test_reproduce_trains_everything_then_resumes_with_nothing_left(write_sweep, tmp_path):
    a, b = _two_sweeps(write_sweep)
    results = tmp_path / "results"
    command = ["reproduce", "--scale", "smoke", "--results", str(results), "--jobs", "2",
               str(a), str(b)]
    assert main(command) == 0
    record = json.loads((results / "reproduce_smoke.json").read_text())
    assert record["runs"] == 3 and record["complete_before"] == 0
    assert record["copied_to_other_sweeps"] == 1 and record["incomplete"] == []
    assert record["state"] == "finished"
    for sweep in (a, b):
        assert all(is_complete(run_dir(results, r)) for r in expand(sweep, "smoke"))
    done = (run_dir(results, _by_lr(a)[0.1]) / DONE).read_text()
    assert main(command) == 0  # again: everything is complete, nothing retrains
    record = json.loads((results / "reproduce_smoke.json").read_text())
    assert record["complete_before"] == 3
    assert (run_dir(results, _by_lr(a)[0.1]) / DONE).read_text() == done


def test_a_failing_run_is_recorded_and_the_others_finish(write_sweep, tmp_path):
    good = write_sweep({**SMOKE_SWEEP, "name": "good"}, "good.yaml")
    # a file-backed dataset whose folder does not exist: this run fails when it starts
    bad = write_sweep({**SMOKE_SWEEP, "name": "bad", "model": "vit", "dataset": "cifar10",
                       "depth": 1, "width": 16}, "bad.yaml")
    results = tmp_path / "results"
    command = ["reproduce", "--scale", "smoke", "--results", str(results), "--jobs", "1",
               "--data-root", str(tmp_path / "no-data"), str(good), str(bad)]
    assert main(command) == 1
    record = json.loads((results / "reproduce_smoke.json").read_text())
    assert record["incomplete"] == [f"bad/{expand(bad, 'smoke')[0].run_id}"]
    assert record["state"] == "ended incomplete"
    assert is_complete(run_dir(results, expand(good, "smoke")[0]))
    assert "FAILED bad/" in (results / ".reproduce" / "worker-0.log").read_text()


def test_jobs_below_one_is_refused(write_sweep, tmp_path, capsys):
    assert main(["reproduce", "--jobs", "0", "--results", str(tmp_path / "r"),
                 str(write_sweep(SMOKE_SWEEP))]) == 2
    assert "--jobs 0" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_runs_trained_earlier_elsewhere_are_shared_before_training(write_sweep, tmp_path):
    """What an interrupted reproduce (or a plain harness run) trained under one sweep reaches
    the others when reproduce starts, so it is neither trained again nor missing."""
    a, b = _two_sweeps(write_sweep)
    results = tmp_path / "results"
    run_inline(a, results)
    assert main(["reproduce", "--scale", "smoke", "--results", str(results), "--jobs", "1",
                 str(b)]) == 0
    record = json.loads((results / "reproduce_smoke.json").read_text())
    assert record["complete_before"] == 1 and record["copied_to_other_sweeps"] == 1
    assert record["complete"] == 2


def test_a_worker_comes_back_to_runs_another_process_held(write_sweep, tmp_path):
    """A run locked by another process is skipped, then trained once the lock is free (that
    process stopped without finishing it), instead of being left incomplete."""
    import threading

    from harness.launch import run_lock
    from harness.reproduce import worker

    a, _ = _two_sweeps(write_sweep)
    results = tmp_path / "results"
    held = expand(a, "smoke")[0]
    release = threading.Event()

    def hold():
        with run_lock(results, held) as mine:
            assert mine
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    threading.Timer(3.0, release.set).start()
    assert worker([str(a)], "smoke", str(results), None, retry_s=0.5) == 0
    holder.join()
    assert all(is_complete(run_dir(results, r)) for r in expand(a, "smoke"))
