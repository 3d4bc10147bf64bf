"""Runs tied to the code that made them (DONE's provenance, stale runs, --rerun-stale), and the
torch-free run-folder contract (harness/runfolder.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, run_inline

from harness import provenance
from harness.cli import main
from harness.runfolder import (
    DONE,
    METRICS,
    ResultsError,
    is_complete,
    read_config,
    read_done,
    read_frame,
)
from harness.sweep import expand, run_dir

SIMULATION = {"name": "sim", "kind": "simulation", "lr": 0.01, "weight_decay": 10.0,
              "scales": {"smoke": {"half_lives": 2}}}
OTHER_CODE = {"training_commit": "abc1234" + "0" * 33, "training_dirty": False,
              "training_hash": "0" * 64}


def _rewrite_done(folder, provenance_record):
    """Pretend other code made the run: its DONE records `provenance_record` (None: none)."""
    summary = read_done(folder)
    if provenance_record is None:
        summary.pop("provenance")
    else:
        summary["provenance"] = {**summary["provenance"], **provenance_record}
    (folder / DONE).write_text(json.dumps(summary))


def test_runfolder_and_provenance_import_no_torch():
    blocked = "import sys\nfor name in ('torch', 'torchvision', 'timm'):\n" \
              "    sys.modules[name] = None  # any import of it raises ImportError\n" \
              "import harness.runfolder, harness.provenance, harness.sweep\n" \
              "print(harness.provenance.current()['training_hash'])"
    done = subprocess.run([sys.executable, "-c", blocked], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == provenance.current()["training_hash"]


def test_done_records_the_code_a_stale_run_is_kept_then_retrained(smoke_sweep, tmp_path,
                                                                   capsys):
    import torch

    results = tmp_path / "results"
    command, (run,) = run_inline(smoke_sweep, results)
    folder = run_dir(results, run)
    made_by = read_done(folder)["provenance"]
    assert made_by == provenance.current()
    assert len(made_by["training_hash"]) == 64
    assert made_by["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert made_by["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    if (REPO / ".git").exists():
        assert len(made_by["git_commit"]) == 40 and len(made_by["training_commit"]) == 40
    # Provenance stays out of config.yaml: analysis groups runs by its contents.
    assert set(read_config(folder)) == {"paper", "figure", *run.as_dict()}
    assert provenance.code_status(folder) == "current"
    capsys.readouterr()

    _rewrite_done(folder, OTHER_CODE)
    before = sorted(p.name for p in folder.iterdir())
    assert main(command) == 0  # kept, and said so in one line
    out, err = capsys.readouterr()
    note = [line for line in err.splitlines() if "other training code" in line]
    assert len(note) == 1 and note[0].startswith(
        "1 of 1 complete run(s) were made by other training code (abc1234; now ")
    assert note[0].endswith("; kept, --rerun-stale trains them again")
    assert "0 run(s) executed" in out
    assert read_done(folder)["provenance"]["training_hash"] == "0" * 64

    assert main(["status", str(smoke_sweep), "--scale", "smoke", "--results", str(results)]) \
        == 0
    out = capsys.readouterr().out
    assert "code" in out.splitlines()[0] and f"{run.run_id}  done" in out and "stale" in out

    assert main(command + ["--rerun-stale"]) == 0
    out, err = capsys.readouterr()
    assert "training them again (--rerun-stale)" in err and "1 run(s) executed" in out
    summary = read_done(folder)
    assert summary["provenance"] == provenance.current() and summary["resumed_from"] == 0
    assert sorted(p.name for p in folder.iterdir()) == before  # same run id, same files
    assert expand(smoke_sweep, "smoke")[0].run_id == run.run_id


def test_runs_that_record_no_code_are_unknown_and_retrained_on_request(write_sweep, tmp_path,
                                                                       capsys):
    sweep = write_sweep(SIMULATION)
    results = tmp_path / "results"
    command, (run,) = run_inline(sweep, results)
    folder = run_dir(results, run)
    assert read_done(folder)["provenance"] == provenance.current()  # simulations record it too
    _rewrite_done(folder, None)  # a run from before runs recorded their code
    (folder / "checkpoint.pt").write_bytes(b"left over")  # must not be resumed
    capsys.readouterr()

    assert main(["status", str(sweep), "--scale", "smoke", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "unknown" in out
    assert "1 of 1 complete run(s) record no training code (made before runs recorded it)" \
        in out
    assert main(command + ["--dry-run", "--rerun-stale"]) == 0
    assert "would execute 1 run(s)" in capsys.readouterr().out
    assert main(command + ["--rerun-stale"]) == 0
    assert "1 run(s) executed" in capsys.readouterr().out
    assert provenance.code_status(folder) == "current"
    assert not (folder / "checkpoint.pt").exists()


def test_training_code_from_git_and_without_it(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("no git")
    repo = tmp_path / "repo"
    (repo / "harness" / "optim").mkdir(parents=True)
    (repo / "harness" / "run.py").write_text("steps = 1\n")
    (repo / "harness" / "optim" / "sgd.py").write_text("lr = 0.1\n")
    (repo / "harness" / "cli.py").write_text("# not training code\n")

    def sh(*args):
        subprocess.run([git, "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                        *args], check=True, capture_output=True)

    sh("init", "-q")
    sh("add", ".")
    sh("commit", "-qm", "first")
    head = subprocess.run([git, "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    clean = provenance.training_code(repo)
    assert clean["training_commit"] == head and clean["training_dirty"] is False
    assert provenance.git_state(repo) == {"git_commit": head, "git_dirty": False}

    (repo / "harness" / "cli.py").write_text("# edited, still not training code\n")
    assert provenance.training_code(repo) == clean
    assert provenance.git_state(repo)["git_dirty"] is True
    (repo / "harness" / "optim" / "sgd.py").write_text("lr = 0.2\n")
    edited = provenance.training_code(repo)
    assert edited["training_dirty"] is True
    assert edited["training_hash"] != clean["training_hash"]

    copy = tmp_path / "copy"  # the tree without .git: the hash still judges staleness
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git"))
    assert provenance.training_code(copy) == {**edited, "training_commit": None,
                                              "training_dirty": None}
    assert provenance.git_state(copy) == {"git_commit": None, "git_dirty": None}


def test_slurm_ids_are_recorded_inside_a_job(monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert provenance.slurm_ids() is None
    monkeypatch.setenv("SLURM_JOB_ID", "1234")
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "1200")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "34")
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert provenance.slurm_ids() == {"job_id": "1234", "array_job_id": "1200",
                                      "array_task_id": "34", "restart_count": "1"}


def test_readers_name_the_bad_file(tmp_path):
    assert not is_complete(tmp_path)
    with pytest.raises(ResultsError, match="DONE: missing; the run is not complete"):
        read_done(tmp_path)
    (tmp_path / DONE).write_text("{half")
    assert is_complete(tmp_path)
    with pytest.raises(ResultsError, match="DONE: unreadable .*delete the run folder"):
        read_done(tmp_path)
    (tmp_path / DONE).write_text("[1, 2]")
    with pytest.raises(ResultsError, match="holds list, not a JSON object"):
        read_done(tmp_path)
    assert provenance.code_status(tmp_path) == "unknown"
    (tmp_path / METRICS).write_bytes(b"PAR1 half a file")
    with pytest.raises(ResultsError, match=f"{METRICS}: unreadable Parquet"):
        read_frame(tmp_path / METRICS)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(["not", "a", "mapping"]))
    with pytest.raises(ResultsError, match="config.yaml: holds list, not a mapping"):
        read_config(tmp_path)
