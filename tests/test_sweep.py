"""Sweep files: expansion, run ids, and every validation error (exit 2, one line, no files)."""

from __future__ import annotations

import copy

import pytest
from conftest import REPO, SMOKE_SWEEP

from harness.cli import main
from harness.sweep import RunConfig, SweepError, expand, run_id


def test_grid_times_zip_expansion(write_sweep):
    sweep = copy.deepcopy(SMOKE_SWEEP)
    sweep["grid"] = {"seed": [0, 1, 2]}
    sweep["zip"] = {"lr": [0.1, 0.2], "weight_decay": [0.001, 0.002]}
    runs = expand(write_sweep(sweep), "smoke")
    pairs = [(r.config.seed, r.config.lr, r.config.weight_decay) for r in runs]
    assert pairs == [(s, lr, wd) for s in (0, 1, 2) for lr, wd in ((0.1, 0.001), (0.2, 0.002))]
    assert len({r.run_id for r in runs}) == 6


def test_scale_overrides_and_scale_axes(write_sweep):
    sweep = copy.deepcopy(SMOKE_SWEEP)
    sweep["grid"] = {"seed": [0, 1]}
    sweep["scales"]["mini"] = {"steps": 8, "grid": {"lr": [0.1, 0.3, 0.5]}}
    path = write_sweep(sweep)
    assert [r.config.seed for r in expand(path, "smoke")] == [0, 1]
    mini = expand(path, "mini")  # the scale's grid replaces the top-level one
    assert [(r.config.lr, r.config.steps, r.config.seed) for r in mini] == [
        (0.1, 8, 0), (0.3, 8, 0), (0.5, 8, 0)]


def test_run_id_ignores_key_order_and_is_pinned():
    a = RunConfig.model_validate({**{k: v for k, v in SMOKE_SWEEP.items()
                                     if k in RunConfig.model_fields}})
    b = RunConfig.model_validate(dict(reversed(list(a.model_dump().items()))))
    assert run_id(a) == run_id(b)
    assert run_id(a) != run_id(a.model_copy(update={"lr": 0.1000001}))
    # Pinned: a changed canonical form would orphan every stored result.
    assert run_id(a) == "6872678826c4"


# Run ids leave out keys at their default (so new keys orphan nothing); a changed default
# would silently change what stored ids mean. Change one only with a migration note.
PINNED_DEFAULTS = {
    "depth": 20, "width": 16, "image_size": None, "seq_len": None,
    "patch_size": 16, "augment": "none",
    "label_noise": 0.0, "crop_scale_min": 0.08, "randaugment": None, "mixup": 0.0,
    "train_holdout": 0.0,
    "vit_norm": "layernorm", "vit_activation": "gelu", "vit_init": "timm",
    "grad_clip_norm": None, "torch_compile": False,
    "gpt_variant": "llama", "block_output_scale": "none", "tie_head": False,
    "separate_qkv": False, "sqrt2_relu2": False,
    "moe_experts": 0, "moe_shared": 1, "moe_top_k": 2, "moe_balance": 0.01,
    "batch_size": 128, "steps": None, "epochs": None, "weight_decay": 0.0, "momentum": 0.0,
    "beta2": 0.999, "hidden_lmo": "spectral", "output_lmo": "sign", "output_lr": None,
    "scion_output_bias": "output",
    "output_weight_decay": None, "c2": None,
    "c2_final_fraction": 1.0, "correct_output": False,
    "ns_steps": 5, "muon_adjust_lr": "original", "adam_lr": None,
    "adam_beta1": 0.9, "gains": "row+col", "gain_param": "softplus", "gains_lr": None,
    "md_embeddings": "unit", "md_sphere": "frobenius", "ns_method": "newton_schulz",
    "schedule": "constant", "warmup_steps": None, "warmup_epochs": None,
    "final_lr_fraction": 0.0, "decay_fraction": 0.2, "milestones": (0.5, 0.75),
    "step_factor": 0.1, "momentum_schedule": "constant", "momentum_final": None,
    "scionc_decay": "adaptive", "seed": 0, "init_from": None,
    "precision": "fp32", "log_every": 1, "eval_every": None, "eval_batches": 50,
    "eval_tokens": None,
}


def test_defaults_are_pinned_and_do_not_enter_the_id():
    defaults = {k: f.default for k, f in RunConfig.model_fields.items() if not f.is_required()}
    assert defaults == PINNED_DEFAULTS
    base = {k: v for k, v in SMOKE_SWEEP.items() if k in RunConfig.model_fields}
    explicit = RunConfig.model_validate({**base, "ns_steps": 5, "gains": "row+col"})
    assert run_id(explicit) == run_id(RunConfig.model_validate(base))


def test_int_and_float_spellings_share_an_id(write_sweep):
    one = write_sweep({**SMOKE_SWEEP, "lr": 1}, "a.yaml")
    other = write_sweep({**SMOKE_SWEEP, "lr": 1.0}, "b.yaml")
    assert expand(one, "smoke")[0].run_id == expand(other, "smoke")[0].run_id


def test_shipped_sweeps_expand_at_every_scale():
    for path in sorted((REPO / "experiments").rglob("*.yaml")):
        for scale in ("paper", "mini", "smoke"):
            assert expand(path, scale), (path, scale)


BAD = [  # (change to the smoke sweep, words the one-line error must contain)
    ({"learning_rate": 0.1}, ["learning_rate", "did you mean 'lr'"]),
    ({"lr": 0}, ["lr", "greater than 0"]),
    ({"lr": "fast"}, ["lr", "'fast'"]),
    ({"weight_decay": -1e-4}, ["weight_decay", "greater than or equal to 0"]),
    ({"momentum": 1.0}, ["momentum", "less than 1"]),
    ({"optimizer": "adamx"}, ["optimizer", "'adamx'", "sgdc", "adamc"]),
    ({"model": "vgg"}, ["model", "resnet"]),
    ({"dataset": "mnist"}, ["dataset", "mnist5k", "cifar10"]),
    ({"grid": {"lr": []}}, ["grid.lr", "non-empty list"]),
    ({"grid": {"lr": [0.1, -0.2]}}, ["grid.lr", "greater than 0"]),
    ({"zip": {"lr": [0.1, 0.2], "seed": [1]}}, ["zip", "equal lengths"]),
    ({"scales": {"tiny": {}}}, ["scales.tiny", "paper, mini, smoke"]),
    ({"scales": {"smoke": {"stpes": 3}}}, ["scales.smoke.stpes", "did you mean 'steps'"]),
    ({"epochs": 2}, ["steps / epochs"]),
    # λ_L = 0 refused before any run, also where weight_decay (the fallback) is > 0
    ({"optimizer": "scionc", "c2": 1.0, "correct_output": True, "output_weight_decay": 0.0},
     ["correct_output", "output_weight_decay"]),
    ({"optimizer": "scionc", "c2": 1.0, "correct_output": True, "weight_decay": 0.0},
     ["correct_output", "output_weight_decay", "weight_decay where it is unset"]),
    # α_max = 1 − momentum_final below the starting α = 1 − momentum
    ({"optimizer": "scion", "momentum": 0.9, "momentum_schedule": "linear",
      "momentum_final": 0.95}, ["momentum_final < momentum"]),
    ({"optimizer": "scion", "momentum": 0.9, "momentum_schedule": "match_effective_lr",
      "momentum_final": 0.9}, ["momentum_final < momentum"]),
    ({"md_sphere": "row"}, ["md_sphere", "adammd / muonmd"]),
    ({"optimizer": "muonmd", "gains": "rank4", "gain_param": "exp"},
     ["gain_param", "rank4", "softplus"]),
]


@pytest.mark.parametrize("change,words", BAD, ids=[str(c) for c, _ in BAD])
def test_bad_sweep_exits_2_with_one_line_and_creates_nothing(write_sweep, tmp_path, capsys,
                                                             change, words):
    path = write_sweep({**SMOKE_SWEEP, **change})
    results = tmp_path / "results"
    assert main(["run", str(path), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert str(path) in err
    for word in words:
        assert word in err, err
    assert not results.exists()


def test_unknown_scale_and_undefined_scale(smoke_sweep, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:  # a declared choice: argparse refuses it
        main(["plan", str(smoke_sweep), "--scale", "huge"])
    assert stop.value.code == 2
    assert "(choose from 'paper', 'mini', 'smoke')" in capsys.readouterr().err
    assert main(["plan", str(smoke_sweep), "--scale", "paper"]) == 2
    err = capsys.readouterr().err
    assert "does not define scale 'paper'" in err and "mini" in err and "smoke" in err


def test_invalid_yaml_names_the_line(write_sweep, capsys):
    path = write_sweep("name: x\nlr: [0.1\n")
    with pytest.raises(SweepError, match=r"line \d+: not valid YAML"):
        expand(path, "smoke")
    assert main(["plan", str(path)]) == 2


def test_missing_dataset_path_fails_before_anything_is_created(write_sweep, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.delenv("WDLAB_DATA", raising=False)
    path = write_sweep({**SMOKE_SWEEP, "dataset": "imagenet"})
    results = tmp_path / "results"
    assert main(["run", str(path), "--scale", "smoke", "--results", str(results),
                 "--data-root", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "imagenet" in err and "nowhere" in err
    assert not results.exists()


def test_plan_has_no_side_effects(smoke_sweep, tmp_path, capsys):
    results = tmp_path / "results"
    assert main(["plan", str(smoke_sweep), "--scale", "smoke", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert expand(smoke_sweep, "smoke")[0].run_id in out and "todo" in out
    assert not results.exists()


def test_params_lists_every_tensor_with_its_policy(write_sweep, capsys):
    path = write_sweep({**SMOKE_SWEEP, "optimizer": "scionc", "c2": 1.0, "output_lr": 0.5,
                        "output_weight_decay": 0.004, "momentum": 0.9})
    assert main(["params", str(path), "--scale", "smoke"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    # columns: tensor shape kind normalized decayed output group lr weight_decay lmo corrected
    assert rows["head.weight"][5:] == ["yes", "io_sign", "0.5", "0.004", "sign", "no"]
    assert rows["head.bias"][5:] == ["yes", "io_bias_rms", "0.5", "0.004", "bias_rms", "no"]
    assert rows["stem.0.0.weight"][3] == "yes" and rows["stem.0.0.weight"][9] == "spectral"
    assert rows["stem.0.0.weight"][10] == "yes"
    assert rows["stem.0.1.bias"][9] == "bias_rms"


def test_scion_output_bias_can_join_the_hidden_biases(write_sweep, capsys):
    path = write_sweep({**SMOKE_SWEEP, "optimizer": "scion", "output_lr": 0.5,
                        "output_weight_decay": 0.004, "momentum": 0.9,
                        "scion_output_bias": "hidden"})
    assert main(["params", str(path), "--scale", "smoke"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["head.weight"][5:7] == ["yes", "io_sign"]
    assert rows["head.bias"][6:9] == ["bias_rms", "0.1", "0.01"]  # the hidden γ, λ


def test_slurm_dry_run_prints_the_array_and_submits_nothing(smoke_sweep, tmp_path, capsys):
    results = tmp_path / "results"
    profile = str(REPO / "slurm" / "profiles" / "example-gpu-cluster.yaml")
    assert main(["run", str(smoke_sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "slurm", "--cluster", profile, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 array of 1 task(s)" in out and "partition=gpu" in out and "GPU-hours" in out
    assert not results.exists()


@pytest.mark.parametrize("executor", ["local", "inline"])
def test_dry_run_never_trains_on_any_executor(smoke_sweep, tmp_path, capsys, executor):
    results = tmp_path / "results"
    assert main(["run", str(smoke_sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", executor, "--dry-run"]) == 0
    assert "would execute 1 run(s)" in capsys.readouterr().out
    assert not results.exists()


def test_cluster_implies_slurm_and_is_refused_beside_another_executor(smoke_sweep, tmp_path,
                                                                      capsys):
    results = tmp_path / "results"
    profile = str(REPO / "slurm" / "profiles" / "example-gpu-cluster.yaml")
    args = ["run", str(smoke_sweep), "--scale", "smoke", "--results", str(results),
            "--cluster", profile]
    assert main(args + ["--dry-run"]) == 0  # no --executor: SLURM's dry run
    assert "1 array of 1 task(s)" in capsys.readouterr().out
    assert main(args + ["--executor", "local"]) == 2
    err = capsys.readouterr().err
    assert "--cluster" in err and "applies to --executor slurm, not local" in err
    assert not results.exists()


def test_yaml_anchors_and_merge_keys_work_in_sweep_files(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text("name: anchors\nmodel: resnet\ndataset: synthetic\noptimizer: sgd\n"
                    "lr: 0.1\nsteps: 4\nscales:\n  mini: &base {depth: 8, width: 4}\n"
                    "  smoke:\n    <<: *base\n    steps: 2\n")
    (run,) = expand(path, "smoke")
    assert (run.config.depth, run.config.width, run.config.steps) == (8, 4, 2)
