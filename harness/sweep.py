"""Sweep files: parse, validate, apply a scale, expand `grid`/`zip` into runs, hash each run.

A sweep file is YAML. Top-level run keys (`model`, `lr`, ...) are defaults for every scale;
`scales.<scale>` overrides them; `grid` (cartesian product) and `zip` (paired lists) expand
the result into runs. This module imports no torch so that `analysis/` can use it on a laptop.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .yamlfile import YamlFileError, load_yaml

SCALES = ("paper", "mini", "smoke")
# Names the registries accept. Kept here (not imported from the registries) so that expanding
# a sweep never imports torch; tests/test_registries.py ties these lists to the real registries.
MODELS = ("resnet", "gpt", "vit", "ngpt")
DATASETS = ("mnist5k", "cifar10", "imagenet", "synthetic", "stdlib_bytes", "fineweb_edu",
            "fineweb10b")
TOKEN_DATASETS = ("stdlib_bytes", "fineweb_edu", "fineweb10b")
OPTIMIZERS = ("sgd", "sgdc", "adamw", "adamc", "renormalized_adamw", "scion", "scionc", "muon",
              "adammd", "muonmd")
SCHEDULES = ("constant", "cosine", "linear", "wsd", "step")


class SweepError(ValueError):
    """A sweep file is wrong. The message is one line naming file, key and allowed values."""


class RunConfig(BaseModel):
    """Everything that determines one run's numbers. Its hash is the run id."""

    model_config = ConfigDict(extra="forbid", strict=False)

    model: Literal[MODELS]  # type: ignore[valid-type]
    depth: int = Field(20, gt=0)
    width: int = Field(16, gt=0)
    dataset: Literal[DATASETS]  # type: ignore[valid-type]
    image_size: int | None = Field(None, gt=0, description="resize/crop side; None = native")
    seq_len: int | None = Field(None, gt=0, description="tokens per sequence; None = dataset's")
    patch_size: int = Field(16, gt=0, description="vit: pixels per patch side")
    augment: Literal["none", "crop"] = "none"
    label_noise: float = Field(0.0, ge=0, lt=1, description="per-draw random-label fraction")
    # ImageNet recipes (torchvision/timm ops): RandomResizedCrop's lower area bound (ResNet
    # 0.08, Inception crop for ViT 0.05), timm RandAugment ("rand-m10-n2"), Mixup's Beta α.
    crop_scale_min: float = Field(0.08, gt=0, le=1)
    randaugment: str | None = Field(None, pattern=r"^rand(-[a-z]+[0-9.]+)*$")
    mixup: float = Field(0.0, ge=0, description="Mixup Beta(α, α); 0 = off")
    train_holdout: float = Field(0.0, ge=0, lt=0.5, description="imagenet: share of train "
                                 "images left out of training (big_vision's minival: 0.01)")
    # ViT block variant: Chou §3.2 trains Scion on RMSNorm + √2·GELU.
    vit_norm: Literal["layernorm", "rmsnorm", "rmsnorm_nogain"] = "layernorm"
    vit_activation: Literal["gelu", "sqrt2_gelu"] = "gelu"
    vit_init: Literal["timm", "jax"] = Field(
        "timm", description="vit: timm's init, or big_vision's (jax: zero head, xavier)")
    grad_clip_norm: float | None = Field(None, gt=0, description="clip the global gradient "
                                         "norm to this before each step (big_vision: 1.0)")
    torch_compile: bool = Field(False, description="torch.compile the forward pass")
    gpt_variant: Literal["llama", "modded"] = Field(
        "llama", description="gpt: Llama-3 style or modded-nanogpt style (ReLU², QK-norm, tied)")
    block_output_scale: Literal["none", "inverse_depth", "inverse_sqrt_2depth"] = Field(
        "none", description="gpt: residual branches' output × α, 1/L or √(1/(2L)) (Kosson F16)")
    tie_head: bool = Field(False, description="gpt llama: the output head is the embedding "
                           "matrix (modded always ties)")
    separate_qkv: bool = Field(False, description="gpt: q, k, v as three matrices, not one")
    sqrt2_relu2: bool = Field(False, description="gpt modded: (√2·relu(x))² (Pethick's Scion)")
    # DeepSeekMoE-style mixture of experts in every block (Kosson Fig. 11; harness/models/moe.py)
    moe_experts: int = Field(0, ge=0, description="gpt: routed experts per block; 0 = dense MLP")
    moe_shared: int = Field(1, ge=0, description="gpt moe: shared experts every token uses")
    moe_top_k: int = Field(2, gt=0, description="gpt moe: routed experts per token")
    moe_balance: float = Field(0.01, ge=0, description="gpt moe: balance loss coefficient α")
    batch_size: int = Field(128, gt=0)
    steps: int | None = Field(None, gt=0)
    epochs: float | None = Field(None, gt=0)
    optimizer: Literal[OPTIMIZERS]  # type: ignore[valid-type]
    lr: float = Field(gt=0)
    weight_decay: float = Field(0.0, ge=0)
    momentum: float = Field(0.0, ge=0, lt=1,
                            description="SGD/Muon momentum, Adam β1, Scion 1 − α")
    beta2: float = Field(0.999, ge=0, lt=1)
    # Scion / ScionC (Chou Alg. 2): the output (Sign) layer's γ_L and λ_L; C² and its decay.
    hidden_lmo: Literal["spectral", "colnorm", "rownorm", "sign"] = "spectral"
    output_lmo: Literal["sign", "colnorm", "rownorm", "spectral"] = "sign"
    output_lr: float | None = Field(None, gt=0)
    output_weight_decay: float | None = Field(None, ge=0)
    c2: float | None = Field(None, gt=0, description="ScionC steady-state norm² C²")
    c2_final_fraction: float = Field(1.0, gt=0, le=1, description="cosine C² decay; 1 = flat")
    scion_output_bias: Literal["output", "hidden"] = Field(
        "output", description="Scion: the output layer's bias at γ_L, λ_L with the output "
        "layer, or with the hidden biases (BiasRMS at γ, λ: Pethick's code)")
    correct_output: bool = Field(
        False, description="ScionC: λ ∝ γ on the output/Sign layer too, from λ_L (Chou Fig. 12)")
    # Muon (+ AdamW for non-matrix tensors).
    ns_steps: int = Field(5, gt=0, description="Newton–Schulz iterations")
    ns_method: Literal["newton_schulz", "polar_express"] = "newton_schulz"
    muon_adjust_lr: Literal["original", "match_rms_adamw", "spectral_unclamped", "none"] = \
        "original"
    adam_lr: float | None = Field(None, gt=0, description="lr of Muon's AdamW tensors")
    adam_beta1: float = Field(0.9, ge=0, lt=1)
    # MD decoupling (AdamMD / MuonMD): gain mode ("none" = sphere only), parameterization, lr.
    gains: Literal["none", "scalar", "row", "col", "row+col", "rank4"] = "row+col"
    gain_param: Literal["identity", "exp", "softplus"] = "softplus"
    gains_lr: float | None = Field(None, gt=0, description="default: adam_lr, else lr")
    md_embeddings: Literal["unit", "free"] = Field(
        "unit", description="MD: embedding vectors held at unit norm (Kosson Fig. 5) or free")
    md_sphere: Literal["frobenius", "row", "col"] = Field(
        "frobenius", description="MD: the norm held fixed: whole matrix, each row or each "
        "column (Kosson Fig. 4)")
    schedule: Literal[SCHEDULES] = "constant"  # type: ignore[valid-type]
    warmup_steps: int | None = Field(None, ge=0)
    warmup_epochs: float | None = Field(None, ge=0)
    final_lr_fraction: float = Field(0.0, ge=0, le=1)
    decay_fraction: float = Field(0.2, ge=0, le=1, description="wsd: share of run decaying")
    milestones: tuple[float, ...] = Field((0.5, 0.75), description="step: run fractions")
    step_factor: float = Field(0.1, gt=0, le=1, description="step: lr multiplier per milestone")
    # Scion's α = 1 − momentum after warmup (Chou Fig. 3, App. C): raised so that γ·√((2−α)/α)
    # (match_effective_lr) or γ·(2−α)/α (match_effective_lr_no_sqrt, App. C.1's erroneous
    # γ'_eff) follows the lr schedule, γ falling once α hits α_max; or linear from α to α_max
    # on top of the lr schedule (linear, Fig. 11).
    momentum_schedule: Literal["constant", "match_effective_lr", "match_effective_lr_no_sqrt",
                               "linear"] = "constant"
    momentum_final: float | None = Field(None, ge=0, lt=1, description="1 − α_max (Scion)")
    scionc_decay: Literal["adaptive", "lr_proportional"] = Field(
        "adaptive", description="ScionC non-io λ_t: Alg. 2's (2−α_t)γ_t/(2α_t·C²), or "
        "weight_decay·γ_t/γ (λ ∝ γ alone, ignoring α; Chou Fig. 11 exp. 3)")
    seed: int = 0
    init_from: dict[str, Any] | None = Field(
        None, description="start from the final state of this config with these keys changed "
        "(its parent run, trained first: harness/warm_start.py)")
    precision: Literal["fp32", "bf16"] = "fp32"
    log_every: int = Field(1, gt=0, description="steps between metric rows")
    eval_every: int | None = Field(None, gt=0, description="steps between evals; None = at end")
    eval_batches: int | None = Field(50, gt=0, description="batches per eval; None = whole set")
    eval_tokens: int | None = Field(None, gt=0, description="token sets: tokens per eval, "
                                    "instead of eval_batches (modded-nanogpt: 10,485,760)")

    @model_validator(mode="after")
    def _one_length(self) -> RunConfig:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("give exactly one of steps / epochs")
        if self.warmup_steps is not None and self.warmup_epochs is not None:
            raise ValueError("give at most one of warmup_steps / warmup_epochs")
        if self.momentum_schedule != "constant" and (
                self.optimizer not in ("scion", "scionc") or self.momentum_final is None):
            raise ValueError(f"momentum_schedule {self.momentum_schedule} needs optimizer "
                             "scion/scionc and momentum_final (= 1 − α_max)")
        if self.momentum_schedule != "constant" and self.momentum_final >= self.momentum:
            raise ValueError(f"momentum_schedule {self.momentum_schedule} needs momentum_final "
                             "< momentum (α rises from 1 − momentum to α_max = 1 − "
                             "momentum_final)")
        if self.scionc_decay != "adaptive" and (self.optimizer != "scionc"
                                                or not self.weight_decay):
            raise ValueError("scionc_decay lr_proportional needs optimizer scionc and "
                             "weight_decay > 0 (its λ at the peak lr)")
        if self.dataset != "imagenet" and (self.randaugment or self.crop_scale_min != 0.08
                                           or self.train_holdout):
            raise ValueError("randaugment / crop_scale_min / train_holdout apply to dataset "
                             "imagenet (file transforms); in-memory sets use augment: crop")
        if self.model != "vit" and (self.vit_norm, self.vit_activation, self.vit_init) != (
                "layernorm", "gelu", "timm"):
            raise ValueError("vit_norm / vit_activation / vit_init apply to model vit")
        if self.eval_tokens is not None and self.dataset not in TOKEN_DATASETS:
            raise ValueError(f"eval_tokens applies to token datasets ({', '.join(TOKEN_DATASETS)})"
                             "; image sets use eval_batches")
        if self.model != "gpt" and self.gpt_variant != "llama":
            raise ValueError("gpt_variant applies to model gpt")
        if self.model != "gpt" and self.block_output_scale != "none":
            raise ValueError("block_output_scale applies to model gpt")
        if self.model != "gpt" and (self.tie_head or self.separate_qkv):
            raise ValueError("tie_head / separate_qkv apply to model gpt")
        if self.moe_experts and (self.model != "gpt" or self.moe_top_k > self.moe_experts):
            raise ValueError("moe_experts applies to model gpt, with moe_top_k ≤ moe_experts")
        if self.sqrt2_relu2 and (self.model, self.gpt_variant) != ("gpt", "modded"):
            raise ValueError("sqrt2_relu2 applies to model gpt with gpt_variant modded")
        if self.optimizer == "scionc" and self.c2 is None:
            raise ValueError("optimizer scionc needs c2 (the steady-state norm² C²)")
        if self.scion_output_bias != "output" and self.optimizer not in ("scion", "scionc"):
            raise ValueError("scion_output_bias applies to optimizer scion / scionc")
        if self.correct_output and self.optimizer != "scionc":
            raise ValueError("correct_output applies to optimizer scionc")
        if self.correct_output and not (self.weight_decay if self.output_weight_decay is None
                                        else self.output_weight_decay):
            raise ValueError("correct_output needs the output layer's λ_L > 0: "
                             "output_weight_decay (weight_decay where it is unset)")
        if self.md_sphere != "frobenius" and self.optimizer not in ("adammd", "muonmd"):
            raise ValueError(f"md_sphere {self.md_sphere} applies to optimizer adammd / muonmd")
        if self.gains == "rank4" and self.gain_param != "softplus":
            raise ValueError(f"gain_param {self.gain_param} does not apply to gains rank4 "
                             "(Γ = 1 + A·Bᵀ as written); allowed: softplus (the default)")
        if self.init_from is not None and (not self.init_from or "init_from" in self.init_from
                                           or set(self.init_from) - set(type(self).model_fields)):
            raise ValueError(f"init_from {self.init_from!r}: the keys in which the parent run "
                             "differs (at least one); allowed: the run keys but init_from")
        return self


class SimConfig(BaseModel):
    """A numerical simulation instead of a training run: Chou App. A, eq. 5,
    θ_t = θ_{t−1} − γ_t·(λ·θ_{t−1} + ξ_t), ξ_t ~ N(0, I), θ_0 = 0, for `half_lives` half-lives
    of the peak γλ (with `warmup_half_lives` of linear warmup)."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(1000, gt=0, description="length of θ")
    lr: float = Field(gt=0)
    weight_decay: float = Field(gt=0)
    schedule: Literal["constant", "cosine"] = "constant"
    half_lives: float = Field(10.0, gt=0)
    warmup_half_lives: float = Field(0.0, ge=0)
    seed: int = 0
    log_points: int = Field(500, gt=1, description="rows written per run")

    @model_validator(mode="after")
    def _stable(self) -> SimConfig:
        if self.lr * self.weight_decay >= 1:
            raise ValueError("lr·weight_decay must be < 1 (else θ does not decay)")
        return self


CONFIG_KINDS = {"train": RunConfig, "simulation": SimConfig}
RUN_KEYS = tuple(RunConfig.model_fields)
META_KEYS = ("name", "paper", "figure", "description", "notes", "grid", "zip", "scales", "kind",
             "table", "paper_table",  # layout and paper values for `harness table`
             "data_repeat",  # "allow": runs may read their data more than once (data check)
             "paper_params", "paper_params_init_from")  # the paper's parameter count(s)


def config_class(sweep: dict) -> type[BaseModel]:
    return CONFIG_KINDS[sweep.get("kind", "train")]


@dataclass(frozen=True)
class Run:
    """One expanded run: its resolved config, its id, and where it came from."""

    sweep: str
    scale: str
    config: RunConfig | SimConfig
    run_id: str
    keep_final: bool = False  # a parent (init_from): keeps its final state for its children

    def as_dict(self) -> dict[str, Any]:
        return {"sweep": self.sweep, "scale": self.scale, "run_id": self.run_id,
                **self.config.model_dump()}


def run_id(config: BaseModel) -> str:
    """Content address of a resolved config: stable across key order and Python versions.

    JSON with sorted keys and Python's shortest float repr (stable since 3.1) is canonical.
    Keys at their default value are left out, so adding a new key (with a default that keeps
    old behaviour) does not orphan stored results; changing a default would silently change
    what an id means, so tests/test_sweep.py pins the defaults.
    """
    values = config.model_dump(mode="json", exclude_defaults=True)
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _fail(path: Path | str, key: str, message: str) -> SweepError:
    return SweepError(f"{path}: {key}: {message}")


# Spellings from other codebases that difflib cannot match to ours.
SYNONYMS = {"learning_rate": "lr", "wd": "weight_decay", "bs": "batch_size",
            "beta1": "momentum", "arch": "model", "data": "dataset", "optim": "optimizer",
            "iterations": "steps", "warmup": "warmup_steps", "lr_schedule": "schedule"}


def check_keys(path, where: str, given: dict, allowed: tuple[str, ...]) -> None:
    for key in given:
        if key not in allowed:
            hint = ([SYNONYMS[key]] if SYNONYMS.get(key) in allowed
                    else difflib.get_close_matches(str(key), allowed, n=1))
            did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise _fail(path, f"{where}{key}", f"unknown key{did_you_mean}; allowed: "
                        + ", ".join(allowed))


def _check_axes(path, where: str, axes: Any, kind: str, keys: tuple[str, ...]) -> dict:
    if axes is None:
        return {}
    if not isinstance(axes, dict):
        raise _fail(path, f"{where}{kind}", "must be a mapping of run key -> list of values")
    check_keys(path, f"{where}{kind}.", axes, keys)
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise _fail(path, f"{where}{kind}.{key}", "must be a non-empty list of values")
    if kind == "zip" and len({len(v) for v in axes.values()}) > 1:
        lengths = ", ".join(f"{k}={len(v)}" for k, v in axes.items())
        raise _fail(path, f"{where}zip", f"lists must have equal lengths (got {lengths})")
    return axes


def _describe(error: dict) -> tuple[str, str]:
    """Turn one pydantic error into (key, message with allowed values)."""
    key = ".".join(str(p) for p in error["loc"]) or "(run)"
    if not error["loc"]:  # a check across keys: its message names them; the run is too long
        return key, error["msg"].removeprefix("Value error, ")
    ctx = error.get("ctx") or {}
    if error["type"] == "literal_error":
        return key, f"got {error['input']!r}; allowed: {ctx.get('expected', '')}"
    return key, f"got {error['input']!r}: {error['msg']}"


def load_sweep(path: str | Path) -> dict[str, Any]:
    """Read and structurally check a sweep file (keys, scales, axes). Raises SweepError."""
    path = Path(path)
    try:
        raw = load_yaml(path, "sweep file")
    except YamlFileError as e:
        raise SweepError(str(e)) from None
    if not isinstance(raw, dict):
        raise _fail(path, "(top)", "a sweep file must be a YAML mapping")
    if raw.get("data_repeat", "refuse") not in ("refuse", "allow"):
        raise _fail(path, "data_repeat", f"got {raw['data_repeat']!r}; allowed: refuse, allow")
    if raw.get("kind", "train") not in CONFIG_KINDS:
        raise _fail(path, "kind", f"unknown {raw['kind']!r}; allowed: {', '.join(CONFIG_KINDS)}")
    keys = tuple(config_class(raw).model_fields)
    check_keys(path, "", raw, META_KEYS + keys)
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise _fail(path, "name", "required, a non-empty string (names the results folder)")
    scales = raw.get("scales") or {}
    if not isinstance(scales, dict):
        raise _fail(path, "scales", f"must be a mapping with keys from: {', '.join(SCALES)}")
    check_keys(path, "scales.", scales, SCALES)
    for scale, block in scales.items():
        if not isinstance(block, dict):
            raise _fail(path, f"scales.{scale}", "must be a mapping of run keys")
        check_keys(path, f"scales.{scale}.", block, ("notes", "grid", "zip") + keys)
        _check_axes(path, f"scales.{scale}.", block.get("grid"), "grid", keys)
        _check_axes(path, f"scales.{scale}.", block.get("zip"), "zip", keys)
    _check_axes(path, "", raw.get("grid"), "grid", keys)
    _check_axes(path, "", raw.get("zip"), "zip", keys)
    raw["_path"] = str(path)
    return raw


def expand(sweep: dict[str, Any] | str | Path, scale: str) -> list[Run]:
    """All runs a sweep means at one scale, validated, in file order, duplicates removed."""
    if not isinstance(sweep, dict):
        sweep = load_sweep(sweep)
    path = sweep["_path"]
    if scale not in SCALES:
        raise _fail(path, "--scale", f"unknown scale {scale!r}; allowed: {', '.join(SCALES)}")
    scales = sweep.get("scales") or {}
    if scales and scale not in scales:
        raise _fail(path, f"scales.{scale}", f"this sweep does not define scale {scale!r}; "
                    f"defined: {', '.join(scales)}")
    block = scales.get(scale, {})
    cls = config_class(sweep)
    base = {k: v for k, v in sweep.items() if k in cls.model_fields}
    base.update({k: v for k, v in block.items() if k in cls.model_fields})
    grid = block["grid"] if "grid" in block else (sweep.get("grid") or {})
    zipped = block["zip"] if "zip" in block else (sweep.get("zip") or {})
    where = f"scales.{scale}." if ("grid" in block or "zip" in block) else ""

    zip_rows = [dict(zip(zipped, values)) for values in zip(*zipped.values())] or [{}]
    grid_rows = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    runs, seen = [], set()
    for grid_row in grid_rows:
        for zip_row in zip_rows:
            values = {**base, **grid_row, **zip_row}
            try:
                config = cls.model_validate(values)
            except ValidationError as e:
                key, message = _describe(e.errors()[0])
                axis = "grid." if key in grid_row else "zip." if key in zip_row else ""
                raise _fail(path, f"{where if axis else ''}{axis}{key}", message) from None
            rid = run_id(config)
            if rid not in seen:
                seen.add(rid)
                runs.append(Run(sweep["name"], scale, config, rid))
    from .warm_start import with_parents  # it imports this module
    try:
        return with_parents(runs)
    except ValidationError as e:
        key, message = _describe(e.errors()[0])
        raise _fail(path, f"init_from.{key}", f"the parent run is invalid: {message}") from None


def varying_keys(runs: list[Run]) -> list[str]:
    """The config keys whose value differs between these runs, in config order: what tells a
    sweep's runs apart (repr: lists and None compare too)."""
    return [k for k in type(runs[0].config).model_fields
            if len({repr(getattr(r.config, k)) for r in runs}) > 1]


def run_dir(results: str | Path, run: Run) -> Path:
    """Where one run's files live: RESULTS/<sweep name>/<scale>/<run id>/."""
    return Path(results) / run.sweep / run.scale / run.run_id
