"""The layout is the architecture: artifacts are found from the tree under one name, analysis
imports no torch, and harness never imports analysis."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import yaml

from analysis.artifacts import ROOT, discover, find, sweep_path


def test_every_artifact_has_one_name_across_make_yaml_and_module():
    artifacts = discover()
    assert len(artifacts) == 40  # stop 21's 35 and Kosson Figs. 1 (left), 11 (left), 15, 13, 8
    for a in artifacts:
        assert a.module.__name__ == f"analysis.{a.paper}.{a.kind}_{a.number}"
        assert callable(a.module.draw)
        assert a.description.startswith(("Defazio", "Chou", "Kosson", "Background")), a.name
        if a.sweep_file and a.sweep_file == sweep_path(a.name):
            assert yaml.safe_load((ROOT / a.sweep_file).read_text())["name"] == a.name


def test_every_sweep_file_belongs_to_an_artifact():
    drawn = {a.sweep_file for a in discover()}
    for path in (ROOT / "experiments").glob("*/*.yaml"):
        assert str(path.relative_to(ROOT)) in drawn, f"{path}: no analysis module draws it"


def test_panels_drawn_from_other_artifacts_runs_name_real_artifacts():
    """`ALSO` names artifacts whose sweeps run with this one's (make, the report)."""
    names = {a.name for a in discover()}
    for a in discover():
        assert set(getattr(a.module, "ALSO", ())) <= names, a.name
        assert all((ROOT / s).is_file() for s in a.sweep_files), a.name
    assert find("kosson2026-figure-1").sweep_files == [
        "experiments/kosson2026/figure-1.yaml", "experiments/kosson2026/figure-11.yaml",
        "experiments/kosson2026/figure-7.yaml"]
    assert find("kosson2026-figure-2").sweep_files == []  # exact: no runs


def test_unknown_artifact_names_the_allowed_ones():
    try:
        find("defazio2025-fig3")
    except ValueError as e:
        assert "defazio2025-figure-3" in str(e)
    else:
        raise AssertionError("an unknown name must be refused")


def test_analysis_imports_no_torch():
    """With torch unimportable, every artifact module, the report and the tables still load."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "import analysis.__main__, analysis.report, analysis.tables\n"
            "from analysis.artifacts import discover\n"
            "[a.module for a in discover()]\n"
            "assert 'torch' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_harness_module_imports_analysis():
    for path in (ROOT / "harness").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            assert not any(n.split(".")[0] == "analysis" for n in names), path


def test_make_list_names_every_artifact():
    done = subprocess.run(["make", "-n", *(a.name for a in discover()), "figure-3"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert Path(ROOT / "Makefile").read_text().count("defazio2025-figure-") == 1  # figure-3 only


def test_every_artifact_has_its_make_target():
    """`make list` prints these names: each must be a real target (dry run: nothing runs)."""
    targets = [a.name for a in discover()]
    assert len(targets) == 40
    done = subprocess.run(["make", "-n", *targets], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
