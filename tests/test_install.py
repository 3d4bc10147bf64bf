"""`make venv TORCH_CUDA=<build>`: torch and torchvision from PyTorch's index for that build,
every other pin of the lock unchanged (the plumbing, with the CPU build, as a dry run: the
index is not reachable from here)."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO


def _dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", "-B", "venv", *args], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout


def test_torch_cuda_installs_torch_from_its_index_and_the_rest_from_the_lock(tmp_path):
    out = _dry_run("TORCH_CUDA=cpu")
    lock = (REPO / "requirements.lock").read_text().splitlines()
    pins = [p for p in lock if re.match(r"(torch|torchvision)==", p)]
    assert f"pip install --quiet {' '.join(pins)} --index-url " \
           "https://download.pytorch.org/whl/cpu" in out
    assert "-r .venv/lock-without-torch.txt" in out and "-r requirements.lock" not in out
    # The filter the recipe runs: drops torch's own stack, keeps everything else.
    grep = next(line for line in out.splitlines() if line.startswith("grep -vE"))
    pattern = grep.split("'")[1]
    kept = subprocess.run(["grep", "-vE", pattern, str(REPO / "requirements.lock")],
                          capture_output=True, text=True).stdout.splitlines()
    dropped = set(lock) - set(kept)
    assert {p.split("==")[0] for p in dropped} >= {"torch", "torchvision", "triton"}
    assert all(re.match(r"(torch|torchvision|triton|nvidia-|cuda-)", p) for p in dropped)
    assert any(p.startswith("numpy==") for p in kept) and any(p.startswith("timm==") for p in kept)


def test_without_torch_cuda_the_lock_is_installed_as_it_is():
    out = _dry_run()
    assert "--no-deps -r requirements.lock" in out and "index-url" not in out
    assert _dry_run("TORCH_CUDA=cu126").count("whl/cu126") == 1
