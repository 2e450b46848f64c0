"""Training settings: defaults, overridden by the family's recipe, then by ``--set key=value``.

Pure data, no torch, so ``zoo train --help`` and validation stay cheap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from zoo.errors import ZooError
from zoo.specs import ArchitectureSpec

CHECKPOINT = "checkpoint.safetensors"  # resumable state: weights, optimisers, RNG, step
RUN_CONFIG = "train_config.json"  # family, data, exact command, settings: what zoo push puts on the card
MODEL_PREFIX = "model."
LR_DECAYS = ("", "linear")
DATA_LOADINGS = ("auto", "memory", "stream")
# What --resume may change: rates and weights that a diverging run needs lowered, and logging.
# Everything else (batch, n_critic, seed, model …) decides which data and noise each step sees.
RESUMABLE_KEYS = (
    "lr_g", "lr_d", "lr_decay", "reg_weight", "ortho_weight", "ema_decay",
    "sample_every", "checkpoint_every", "log_every", "eval_every", "data_loading", "data_workers",
)  # fmt: skip
# Values that runs recorded before a key existed were trained with; a resume must not change them.
LEGACY_VALUES = {"reuse_fakes": False}


@dataclass
class TrainSettings:
    """Everything that decides a run besides the data; stored in the run so it can be reproduced."""

    steps: int = 10_000
    batch_size: int = 64
    loss: str = "bce"
    n_critic: int = 1
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas_g: tuple[float, float] = (0.5, 0.999)
    betas_d: tuple[float, float] = (0.5, 0.999)
    lr_decay: str = ""  # "" keeps the rates; "linear" takes both to 0 at ``steps`` (Gulrajani et al. 2017)
    regulariser: str = ""
    reg_weight: float = 0.0
    reg_every: int = 1
    ortho_weight: float = 0.0  # BigGAN's orthogonal regularisation of G's weights (Brock et al. 2018, §3.1)
    ema_decay: float = 0.999
    ema_start: int = 0
    bf16: bool | None = None  # None (or 'auto'): bf16 autocast only where the device has native bf16
    channels_last: bool = True
    flip: bool = True
    diffaug: str = ""
    # G's step reuses the last critic step's fakes, as the PyTorch DCGAN example does: one generator forward per
    # step instead of a no-grad one for D plus one for G. False draws fresh latents for G, as runs recorded
    # before this key existed did (LEGACY_VALUES), so their resumes and card commands stay exact.
    reuse_fakes: bool = True
    seed: int = 0
    sample_every: int = 1000
    checkpoint_every: int = 500
    log_every: int = 50
    eval_every: int = 0  # 0: off; N: evaluate the exported EMA generator every N steps (training/evaluation.py)
    eval_metrics: str = "fid"  # comma-separated registered metrics
    eval_n: int = 5000  # generated images per evaluation (real ones: as many, from the training data)
    eval_extractor: str = "auto"
    best_metric: str = ""  # the value best.safetensors is kept by; "" is the first metric's (fid, kid, …)
    # How batches are read; never which images they hold (zoo/training/streaming.py), so resumes may change it.
    data_loading: str = "auto"  # auto: in memory when it fits a quarter of the free memory, else streamed
    data_workers: int = 2  # DataLoader processes decoding streamed data; 0 reads in the main process
    model: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Refuse values that cannot train, each with the key's name."""
        positive = ("steps", "batch_size", "n_critic", "reg_every", "sample_every", "checkpoint_every", "log_every")
        for key in positive:
            if getattr(self, key) < 1:
                raise ZooError(f"{key} must be at least 1, got {getattr(self, key)}")
        if self.eval_every < 0 or self.eval_n < 2:
            got = f"{self.eval_every}, {self.eval_n}"
            raise ZooError(f"eval_every must be 0 (off) or positive, eval_n at least 2: got {got}")
        if self.data_loading not in DATA_LOADINGS or self.data_workers < 0:
            got = f"{self.data_loading!r}, {self.data_workers}"
            raise ZooError(f"data_loading must be auto, memory or stream and data_workers 0 or more: got {got}")
        if not 0 <= self.ema_decay < 1:
            raise ZooError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.ortho_weight < 0:
            raise ZooError(f"ortho_weight must be 0 (off) or positive, got {self.ortho_weight}")
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ZooError("learning rates lr_g and lr_d must be positive")
        if self.lr_decay not in LR_DECAYS:
            raise ZooError(f"lr_decay must be '' (constant) or 'linear', got {self.lr_decay!r}")
        if self.regulariser and self.reg_weight <= 0:
            raise ZooError(f"regulariser {self.regulariser!r} needs a positive reg_weight (e.g. 10 for gp)")
        if self.bf16 == "auto":
            self.bf16 = None
        if self.bf16 not in (None, True, False):
            raise ZooError(f"bf16 takes true, false or auto, got {self.bf16!r}")
        if self.reg_weight > 0 and not self.regulariser:
            raise ZooError(f"reg_weight={self.reg_weight} has no regulariser: also set regulariser=gp or r1")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _coerce(key: str, raw: str, current: Any) -> Any:
    """Parse a ``--set`` value as JSON (numbers, booleans, lists) or keep it a string."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    if isinstance(current, bool) and not isinstance(value, bool):
        raise ZooError(f"{key} takes true or false, got {raw!r}")
    if isinstance(current, tuple):
        if not isinstance(value, list) or len(value) != len(current):
            raise ZooError(f"{key} takes a list of {len(current)} numbers like [0.0,0.9], got {raw!r}")
        return tuple(value)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if current is not None and not isinstance(current, str) and type(value) is not type(current):
        raise ZooError(f"{key} takes a {type(current).__name__}, got {raw!r}")
    return value


def saved_settings(record: Mapping[str, Any]) -> TrainSettings:
    """The settings a run recorded in its train_config.json; keys added since then take their defaults."""
    known = {f.name for f in fields(TrainSettings)}
    unknown = sorted(set(record) - known)
    if unknown:
        raise ZooError(f"the run was made by a newer gan-zoo (settings {', '.join(unknown)}): upgrade zoo-core")
    record = {**LEGACY_VALUES, **record}
    return TrainSettings(**{k: tuple(v) if k in ("betas_g", "betas_d") else v for k, v in record.items()})


def resolve_settings(arch: ArchitectureSpec, recipe: str | None, overrides: Mapping[str, str]) -> TrainSettings:
    """Defaults ← the family's recipe ← ``--set`` overrides (``model.KEY`` sets the architecture config)."""
    recipes = dict(arch.recipes)
    name = recipe or "default"
    if recipe is not None and name not in recipes:
        raise ZooError(f"{arch.name} has no recipe {name!r}: choose one of {', '.join(sorted(recipes)) or '(none)'}")
    base = dict(recipes.get(name, {}))
    model = {**arch.default_config, **base.pop("model", {})}
    settings = TrainSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in base.items()}, model=model)
    apply_overrides(settings, arch, overrides)
    settings.validate()
    return settings


def fit_classes_to_data(
    settings: TrainSettings, arch: ArchitectureSpec, names: tuple[str, ...], overrides: Mapping[str, str]
) -> None:
    """Give a class-conditional model as many classes as the data names, unless ``--set`` disagrees.

    A model with more classes than the data would train embeddings for classes that never occur and
    lose the data's class names, so a disagreement the user set on purpose is refused, not kept.
    """
    if "num_classes" not in arch.default_config or not names or arch.task != "class-conditional-image-generation":
        return  # an unconditional family whose config merely has the option (0) stays unconditional
    wanted = settings.model.get("num_classes")
    if MODEL_PREFIX + "num_classes" in overrides and wanted == 0:
        return  # unconditional on purpose: the labels are not used
    if MODEL_PREFIX + "num_classes" in overrides and wanted != len(names):
        raise ZooError(
            f"the data names {len(names)} classes ({', '.join(names[:5])}{', …' if len(names) > 5 else ''}) "
            f"but --set model.num_classes={wanted}: drop that --set (the count is taken from the data)"
        )
    settings.model["num_classes"] = len(names)


def fit_channels_to_data(
    settings: TrainSettings, arch: ArchitectureSpec, channels: int, overrides: Mapping[str, str]
) -> None:
    """Give a family with a ``channels`` option as many channels as the data holds (grayscale data: 1).

    ``--set model.channels=N`` wins: the loader then converts (grey repeated to RGB, RGB to luminance).
    A family without the option keeps its own count and gets the data converted the same way.
    """
    if "channels" in arch.default_config and MODEL_PREFIX + "channels" not in overrides:
        settings.model["channels"] = channels


def _unchanged(settings: TrainSettings, arch: ArchitectureSpec, key: str, raw: str) -> bool:
    """Whether ``--set key=raw`` repeats the run's value (the first command plus --resume, as advised)."""
    if key.startswith(MODEL_PREFIX):
        sub = key[len(MODEL_PREFIX) :]
        current = settings.model.get(sub, arch.default_config.get(sub))
    elif key in {f.name for f in fields(TrainSettings)} and key != "model":
        current = getattr(settings, key)
    else:
        return False
    try:
        return _coerce(key, raw, current) == current
    except ZooError:
        return False


def apply_overrides(
    settings: TrainSettings, arch: ArchitectureSpec, overrides: Mapping[str, str], allowed: tuple[str, ...] = ()
) -> None:
    """Set ``--set`` overrides on ``settings`` in place; ``allowed`` (if given) limits which keys may change."""
    valid = sorted(f.name for f in fields(TrainSettings) if f.name != "model")
    for key, raw in overrides.items():
        if allowed and key not in allowed and not _unchanged(settings, arch, key, raw):
            raise ZooError(f"--set {key} cannot change in a resumed run: only {', '.join(allowed)} can")
        if key.startswith(MODEL_PREFIX):
            sub = key[len(MODEL_PREFIX) :]
            if sub not in arch.default_config:
                model_keys = ", ".join(MODEL_PREFIX + k for k in sorted(arch.default_config))
                raise ZooError(f"unknown --set key {key!r}: model keys are {model_keys}")
            settings.model[sub] = _coerce(key, raw, arch.default_config[sub])
        elif key in valid:
            setattr(settings, key, _coerce(key, raw, getattr(settings, key)))
        else:
            model_keys = "|".join(sorted(arch.default_config))
            raise ZooError(f"unknown --set key {key!r}: valid keys are {', '.join(valid)} and model.<{model_keys}>")
