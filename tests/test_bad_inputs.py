"""The bad-input corpus (issue 7): every malformed sweep file and cluster profile under
tests/fixtures/ is refused by the real command line with exit code 2 and one line on stderr
that names the file and the key, before anything is created under the results folder.

Each fixture starts with `# expect: <key>` (the key as the error prints it) and optionally
`# allowed: <text>` (an allowed value, or the bound, that the message must show). Sweeps are
checked with `harness plan FILE --scale mini` (every fixture that has scales defines mini);
profiles with `harness run <valid smoke sweep> --executor slurm --cluster FILE --dry-run`,
which validates the profile without calling sinfo. To add a case, drop a file in the folder.

Every selected case runs up front, in parallel, and the tests read the outcomes (a case is a
fresh interpreter; none imports torch: bad input is refused before the heavy imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SMOKE_SWEEP

FIXTURES = REPO / "tests" / "fixtures"
CASES = sorted(FIXTURES.glob("bad_sweeps/*.yaml")) + sorted(FIXTURES.glob("bad_profiles/*.yaml"))

# Malformed inputs the harness does not refuse properly yet (issue 7). strict: once the
# harness is fixed the case XPASSes, which fails, so that its entry here gets removed.
XFAIL: dict[str, str] = {}


def case_id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def header(path: Path) -> tuple[str, str | None]:
    """(expected key, allowed text or None) from the fixture's first two comment lines."""
    lines = path.read_text(encoding="utf-8").splitlines() + [""]
    assert lines[0].startswith("# expect: "), f"{path}: first line must be '# expect: <key>'"
    expect = lines[0].removeprefix("# expect: ").strip()
    allowed = lines[1].removeprefix("# allowed: ").strip() \
        if lines[1].startswith("# allowed: ") else None
    return expect, allowed


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    results: Path  # the --results folder: created empty, must stay empty


def run_cli(path: Path, valid_sweep: Path, tmp: Path) -> Outcome:
    results = tmp / "results"
    results.mkdir(parents=True)
    if path.parent.name == "bad_sweeps":
        args = ["plan", str(path), "--scale", "mini", "--results", str(results)]
    else:
        args = ["run", str(valid_sweep), "--scale", "smoke", "--executor", "slurm",
                "--cluster", str(path), "--dry-run", "--results", str(results)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    return Outcome(done.returncode, done.stdout, done.stderr, results)


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[Path, Outcome]:
    """Run the CLI on every fixture selected in this session, in parallel."""
    selected = [item.callspec.params["path"] for item in request.session.items
                if getattr(item, "module", None) is request.module
                and "path" in getattr(getattr(item, "callspec", None), "params", {})]
    base = tmp_path_factory.mktemp("bad_inputs")
    valid_sweep = base / "valid-smoke.yaml"
    valid_sweep.write_text(yaml.safe_dump(SMOKE_SWEEP))
    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        futures = {path: pool.submit(run_cli, path, valid_sweep, base / f"case{i}")
                   for i, path in enumerate(selected)}
        return {path: future.result() for path, future in futures.items()}


def test_corpus_is_large_enough_and_every_header_is_well_formed():
    sweeps = [p for p in CASES if p.parent.name == "bad_sweeps"]
    profiles = [p for p in CASES if p.parent.name == "bad_profiles"]
    assert len(sweeps) >= 28 and len(profiles) >= 12, (len(sweeps), len(profiles))
    for path in CASES:
        expect, allowed = header(path)
        assert expect and allowed != "", path
    assert set(XFAIL) <= {case_id(p) for p in CASES}, "XFAIL names a fixture that is gone"


@pytest.mark.parametrize("path", [
    pytest.param(p, id=case_id(p), marks=[pytest.mark.xfail(reason=XFAIL[case_id(p)],
                                                            strict=True)]
                 if case_id(p) in XFAIL else [])
    for p in CASES])
def test_bad_input_exits_2_with_one_line_naming_file_and_key(outcomes, path):
    expect, allowed = header(path)
    got = outcomes[path]
    err = got.stderr.strip()
    assert got.returncode == 2, (got.returncode, got.stdout, got.stderr)
    assert "Traceback" not in got.stderr, got.stderr
    assert err and "\n" not in err, f"stderr is not one line:\n{got.stderr}"
    assert err.startswith(f"error: {path}: "), f"file not named first: {err}"
    # `error: FILE: KEY: message`; a check across keys says `(run)` and names them after.
    slot, _, message = err.removeprefix(f"error: {path}: ").partition(": ")
    assert slot == expect or (slot == "(run)" and expect in message), \
        f"key {expect!r} not named: {err}"
    if allowed is not None:
        assert allowed in err, f"allowed {allowed!r} not shown: {err}"
    assert got.stdout == "", got.stdout
    assert not any(got.results.iterdir()), sorted(got.results.rglob("*"))
