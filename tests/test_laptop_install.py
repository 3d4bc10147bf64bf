"""A laptop install (issue 17): requirements-analysis.lock plus the project with --no-deps
(`make analysis-venv`) draws figures from Parquet copied back, with no torch, on Linux and
macOS, x86_64 and arm64, Python >= 3.10. The cheap tests read the lock or hold this venv to
it; the slow ones need PyPI (skipped without it, unless WDLAB_REQUIRE_NETWORK=1)."""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import tomllib
from conftest import REPO, write_fake_run
from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags, mac_platforms
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from harness.sweep import expand

LOCK = REPO / "requirements-analysis.lock"
INPUTS = REPO / "requirements-analysis.in"
PYPI = "https://pypi.org"
GPU_STACK = re.compile(r"(torch|torchvision|triton|nvidia-.*|cuda-.*)")
# Where the laptop draws: each (OS, machine) at every Python the lock claims, on the oldest
# macOS it is judged for (x86_64: 13, which every Intel Mac still updated runs; arm64: 14).
PLATFORMS = {("Linux", "x86_64"): None, ("Linux", "aarch64"): None,
             ("Darwin", "x86_64"): (13, 0), ("Darwin", "arm64"): (14, 0)}
LAPTOPS = [(python, system, machine) for python in [(3, 10), (3, 11), (3, 12), (3, 13)]
           for system, machine in PLATFORMS]
ARTIFACT = "defazio2025-figure-3"


def _requirements(path: Path) -> list[Requirement]:
    return [Requirement(line.split("#")[0]) for line in path.read_text().splitlines()
            if line[:1].isalnum()]


def _names(path: Path) -> set[str]:
    return {canonicalize_name(r.name) for r in _requirements(path)}


def _pins(python, system, machine) -> dict[str, str]:
    """The lock's pins on that laptop, by its marker variables: name -> version."""
    version = ".".join(map(str, python))
    env = {"python_version": version, "python_full_version": f"{version}.0",
           "sys_platform": system.lower(), "platform_system": system,
           "platform_machine": machine, "os_name": "posix", "implementation_name": "cpython",
           "platform_python_implementation": "CPython"}
    pins = {}
    for req in _requirements(LOCK):
        if req.marker is None or req.marker.evaluate(env):
            name, (spec,) = canonicalize_name(req.name), req.specifier
            assert name not in pins and spec.operator == "==", (req, python, system, machine)
            pins[name] = spec.version
    return pins


@pytest.mark.parametrize("python, system, machine", LAPTOPS)
def test_the_lock_pins_every_input_and_no_gpu_stack(python, system, machine):
    pins = _pins(python, system, machine)
    assert _names(INPUTS) <= set(pins)
    assert not [name for name in pins if GPU_STACK.fullmatch(name)]


def test_the_lock_pins_requirements_locks_versions():
    """Where requirements.lock resolves (its Python, >= 3.11), the laptop draws with CI's
    pandas, pyarrow, matplotlib and every other package the two share."""
    ci = {canonicalize_name(r.name): next(iter(r.specifier)).version
          for r in _requirements(REPO / "requirements.lock")}
    for python, system, machine in LAPTOPS:
        if python >= (3, 11):
            pins = _pins(python, system, machine)
            assert {n: v for n, v in pins.items() if ci.get(n, v) != v} == {}, (python, system)
            assert {"pandas", "pyarrow", "matplotlib", "numpy", "plotly"} <= set(pins) & set(ci)


def test_the_analysis_extra_names_the_lock_inputs_with_the_projects_ranges():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    extra = {canonicalize_name(r.name): r.specifier for r in map(Requirement, extras["analysis"])}
    assert set(extra) == _names(INPUTS) - {"setuptools"}  # setuptools: to install the project
    others = [*project["dependencies"], *(r for k, v in extras.items() if k != "analysis"
                                          for r in v)]
    for req in map(Requirement, others):
        assert extra.get(canonicalize_name(req.name), req.specifier) == req.specifier, req


def _fake_results(results: Path) -> None:
    """The artifact's smoke runs as the harness leaves them: ‖g‖/‖w‖ on Defazio's steady state
    under a cosine, 3× above it over the first 5 % (the shape its own test uses)."""
    def lr(t):
        return 0.1 * 0.5 * (1 + math.cos(math.pi * t / 100))

    for run in expand(REPO / "experiments/defazio2025/figure-3.yaml", "smoke"):
        def grad(t, cfg=run.config):
            return (3.0 if t < 5 else 1.0) * math.sqrt(
                2 * cfg.weight_decay * (1 - cfg.momentum) / lr(t))

        layer = {"kind": "conv", "grad_norm": grad}
        write_fake_run(results, run, metrics={"lr": lr}, layers={"conv1": layer, "conv2": layer})


def _analysis(python: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m analysis ARGS` from the repo's root (the sweep files' paths are relative to
    it), importing the installed project: -P keeps the root off sys.path."""
    return subprocess.run([python, "-P", "-m", "analysis", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _draws(python: str, tmp_path: Path, env: dict | None = None) -> None:
    results, out = tmp_path / "results", tmp_path / "figures"
    _fake_results(results)
    done = _analysis(python, ARTIFACT, "--scale", "smoke", "--results", str(results),
                     "--out", str(out), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    png = out / f"{ARTIFACT}_smoke.png"
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"{ARTIFACT}_smoke.claims.json").exists()


def _laptop_env(tmp_path: Path) -> dict:
    """This venv as the laptop's: every top-level module whose distribution the lock does not
    pin (torch, timm, submitit, tqdm, scipy, duckdb, ...) made unimportable by a
    sitecustomize, so that the processes analysis starts are held to it too."""
    locked = _names(LOCK) | {"wdlab", "pip"}
    blocked = sorted(
        module for module, dists in importlib.metadata.packages_distributions().items()
        if module.isidentifier() and not {canonicalize_name(d) for d in dists} & locked)
    assert {"torch", "torchvision", "timm", "submitit", "tqdm"} <= set(blocked)
    site = tmp_path / "laptop"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        f"import sys\nsys.modules.update(dict.fromkeys({blocked!r}))\n")
    return {**os.environ, "PYTHONPATH": str(site)}


def test_analysis_draws_with_only_the_locked_packages_importable(tmp_path):
    _draws(sys.executable, tmp_path, _laptop_env(tmp_path))


@pytest.mark.parametrize("command, prints", [
    (["sweep", ARTIFACT], "experiments/defazio2025/figure-3.yaml"), (["list"], ARTIFACT)])
def test_analysis_commands_run_with_only_the_locked_packages_importable(tmp_path, command,
                                                                        prints):
    done = _analysis(sys.executable, *command, env=_laptop_env(tmp_path))
    assert done.returncode == 0 and prints in done.stdout, done.stdout + done.stderr


def test_the_report_and_its_page_build_with_only_the_locked_packages_importable(tmp_path):
    results = tmp_path / "results"
    _fake_results(results)
    done = _analysis(sys.executable, "report", "--scale", "smoke", "--results", str(results),
                     env=_laptop_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "defazio2025-figure-3: not run" not in (results / "report.md").read_text()
    assert "curves-data" in (results / "report.html").read_text()  # plotly's curves: locked


def _need(url: str) -> None:
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=15).close()
    except OSError as e:
        if os.environ.get("WDLAB_REQUIRE_NETWORK") == "1":
            pytest.fail(f"{url} unreachable ({e}) and WDLAB_REQUIRE_NETWORK=1")
        pytest.skip(f"{url} unreachable ({e}): needs PyPI (WDLAB_REQUIRE_NETWORK=1 to require)")


@pytest.mark.slow
def test_a_fresh_venv_from_the_lock_draws_a_figure_without_torch(tmp_path):
    _need(os.environ.get("PIP_INDEX_URL", f"{PYPI}/simple/").rstrip("/") + "/pip/")
    venv = tmp_path / "venv"
    done = subprocess.run(["make", "analysis-venv", f"ANALYSIS_VENV={venv}",
                           f"PYTHON={sys.executable}"], cwd=REPO, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    python = str(venv / "bin" / "python")
    present = subprocess.run([python, "-c", "import importlib.util as u; print([m for m in "
                              "('torch', 'torchvision', 'timm', 'submitit', 'tqdm') "
                              "if u.find_spec(m)])"], capture_output=True, text=True)
    assert present.stdout.strip() == "[]", present.stdout + present.stderr
    # The lock is closed: the only unmet requirements are wdlab's own training ones.
    check = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True)
    assert [line for line in check.stdout.splitlines() if not line.startswith("wdlab ")] == []
    _draws(python, tmp_path)


def _supported(python, system, machine) -> set:
    if system == "Darwin":
        platforms = list(mac_platforms(PLATFORMS[system, machine], machine))
    else:  # glibc 2.28 (Debian 10, RHEL 8; Ubuntu 20.04 has 2.31) and every older manylinux
        platforms = [f"manylinux_2_{m}_{machine}" for m in range(28, 4, -1)]
        platforms += [f"manylinux{alias}_{machine}" for alias in ("2014", "2010", "1")]
    interpreter = "cp" + "".join(map(str, python))
    return {*cpython_tags(python, platforms=platforms),
            *compatible_tags(python, interpreter, platforms)}


def _wheels(name: str) -> dict[str, list]:
    """PyPI's wheels of a project (the index's JSON form, PEP 691): version -> tag sets."""
    request = urllib.request.Request(f"{PYPI}/simple/{name}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as page:
        files = json.load(page)["files"]
    wheels = {}
    for f in files:
        try:
            _, version, _, tags = parse_wheel_filename(f["filename"])
        except InvalidWheelFilename:  # an sdist, or a wheel older than the rules for names
            continue
        wheels.setdefault(str(version), []).append(tags)
    return wheels


@pytest.mark.slow
def test_every_pin_has_a_wheel_on_every_laptop():
    """CI runs on Linux x86_64: the Macs and ARM boards are judged by PyPI's wheel names."""
    _need(f"{PYPI}/simple/pip/")
    wheels = {}
    for python, system, machine in LAPTOPS:
        supported = _supported(python, system, machine)
        for name, version in _pins(python, system, machine).items():
            if name not in wheels:
                wheels[name] = _wheels(name)
            assert any(tags & supported for tags in wheels[name].get(version, [])), \
                f"{name}=={version}: no wheel for {system} {machine} Python {python}"
