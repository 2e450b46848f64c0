"""Training settings: defaults, overridden by the family's recipe, then by ``--set key=value``.

Pure data, no torch, so ``zoo train --help`` and validation stay cheap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from zoo.arguments import comma_list
from zoo.errors import ZooError
from zoo.specs import ArchitectureSpec

CHECKPOINT = "checkpoint.safetensors"  # resumable state: weights, optimisers, RNG, step
RUN_CONFIG = "train_config.json"  # family, data, exact command, settings: what zoo push puts on the card
MODEL_PREFIX = "model."
# What --resume may change: rates and weights that a diverging run needs lowered, and logging.
# Everything else (batch, n_critic, seed, model …) decides which data and noise each step sees.
RESUMABLE_KEYS = (
    "lr_g", "lr_d", "lr_decay", "lr_decay_from", "reg_weight", "ortho_weight", "ema_decay",
    "sample_every", "checkpoint_every", "log_every", "eval_every", "data_loading", "data_workers",
)  # fmt: skip
# Values that runs recorded before a key existed were trained with; a resume must not change them.
LEGACY_VALUES = {"reuse_fakes": False}


DIFFAUG_POLICIES = ("color", "translation", "cutout")  # DiffAugment (Zhao et al. 2020), zoo/training/augment.py
MAX_WORK = 10**12  # images a run may ask for in all: steps × batch_size × n_critic (a typo, not a plan, beyond)
_COUNT = 10**8  # a bound for step counts and intervals that no run reaches


class TrainSettings(BaseModel):
    """Everything that decides a run besides the data; stored in the run so it can be reproduced.

    One schema for every way settings arrive (a family's recipe, ``--set``, ``zoo.train(settings=…)``,
    a run's ``train_config.json``): each key has a type and a finite range, names are checked against
    what is registered, unknown keys are refused by name, NaN and infinity never pass.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False, strict=True)

    steps: int = Field(10_000, ge=1, le=_COUNT)
    batch_size: int = Field(64, ge=1, le=65_536)
    loss: str = "bce"
    n_critic: int = Field(1, ge=1, le=100)
    lr_g: float = Field(2e-4, gt=0, le=10)
    lr_d: float = Field(2e-4, gt=0, le=10)
    betas_g: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.5, 0.999)
    betas_d: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.5, 0.999)
    lr_decay: Literal["", "linear"] = ""  # "linear" takes both rates to 0 at ``steps`` (Gulrajani et al. 2017)
    lr_decay_from: float = Field(0.0, ge=0, lt=1)  # the fraction of ``steps`` where the decay starts (CycleGAN: 0.5)
    regulariser: str = ""
    reg_weight: float = Field(0.0, ge=0, le=1e6)
    reg_every: int = Field(1, ge=1, le=10_000)
    ortho_weight: float = Field(0.0, ge=0, le=1e3)  # BigGAN's orthogonal regularisation of G (Brock et al. 2018)
    ema_decay: float = Field(0.999, ge=0, lt=1)
    ema_start: int = Field(0, ge=0, le=_COUNT)
    bf16: bool | None = None  # None (or 'auto'): bf16 autocast only where the device has native bf16
    channels_last: bool = True
    flip: bool = True
    diffaug: str = ""
    # G's step reuses the last critic step's fakes, as the PyTorch DCGAN example does: one generator forward per
    # step instead of a no-grad one for D plus one for G. False draws fresh latents for G, as runs recorded
    # before this key existed did (LEGACY_VALUES), so their resumes and card commands stay exact.
    reuse_fakes: bool = True
    seed: int = Field(0, ge=0, lt=2**63)
    sample_every: int = Field(1000, ge=1, le=_COUNT)
    checkpoint_every: int = Field(500, ge=1, le=_COUNT)
    log_every: int = Field(50, ge=1, le=_COUNT)
    eval_every: int = Field(0, ge=0, le=_COUNT)  # 0: off; N: evaluate the exported EMA generator every N steps
    eval_metrics: str = "fid"  # comma-separated registered metrics
    eval_n: int = Field(5000, ge=2, le=1_000_000)  # generated images per evaluation (real: as many)
    eval_extractor: str = "auto"
    best_metric: str = ""  # the value best.safetensors is kept by; "" is the first metric's (fid, kid, …)
    # How batches are read; never which images they hold (zoo/training/streaming.py), so resumes may change it.
    data_loading: Literal["auto", "memory", "stream"] = "auto"  # auto: in memory when it fits, else streamed
    data_workers: int = Field(2, ge=0, le=64)  # DataLoader processes decoding streamed data; 0: the main one
    # Image-to-image families only (zoo/training/translation.py); 0 switches a term off.
    l1_weight: float = Field(0.0, ge=0, le=1e6)  # Pix2Pix's L1 to the target (Isola et al. 2017: 100)
    cycle_weight: float = Field(0.0, ge=0, le=1e6)  # CycleGAN's cycle consistency (Zhu et al. 2017: 10)
    identity_weight: float = Field(0.0, ge=0, le=1e3)  # CycleGAN's identity term, × cycle_weight (0.5)
    pool_size: int = Field(0, ge=0, le=10_000)  # CycleGAN's history of fakes shown to D (Shrivastava et al.: 50)
    load_size: int = Field(0, ge=0, le=8192)  # resize to this, then random-crop the model's size (0: no resize)
    model: dict[str, Any] = Field(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise schema_error(exc) from None

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise schema_error(exc) from None

    @field_validator("bf16", mode="before")
    @classmethod
    def _auto_is_none(cls, value: Any) -> Any:
        if value == "auto" or value is None:
            return None
        if not isinstance(value, bool):
            raise ValueError("true, false or auto")
        return value

    @field_validator("betas_g", "betas_d", mode="before")
    @classmethod
    def _list_is_a_pair(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value  # JSON and recipes write pairs as lists

    def validate(self) -> None:
        """Refuse combinations and names the field ranges cannot express, each with the key's name."""
        check(self)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), indent=2, sort_keys=True)


SETTING_NAMES = tuple(name for name in TrainSettings.model_fields if name != "model")


def check(settings: TrainSettings) -> None:
    """What no single field can say: work bounds, pairs of keys, and names that must be registered."""
    if settings.steps * settings.batch_size * settings.n_critic > MAX_WORK:
        raise ZooError(
            f"steps × batch_size × n_critic = {settings.steps * settings.batch_size * settings.n_critic:,} images "
            f"is more than {MAX_WORK:,}: lower one of them"
        )
    if settings.regulariser and settings.reg_weight <= 0:
        raise ZooError(f"regulariser {settings.regulariser!r} needs a positive reg_weight (e.g. 10 for gp)")
    if settings.reg_weight > 0 and not settings.regulariser:
        raise ZooError(f"reg_weight={settings.reg_weight} has no regulariser: also set regulariser=gp or r1")
    policies = comma_list(settings.diffaug, "diffaug", "color,translation") if settings.diffaug.strip() else []
    unknown = [p for p in policies if p not in DIFFAUG_POLICIES]
    if unknown:
        raise ZooError(f"diffaug {', '.join(unknown)} is unknown: choose from {', '.join(DIFFAUG_POLICIES)}")
    _check_registered(settings)


# Keys only one of the two trainers reads: a recipe or --set giving one to the other trainer is refused by name.
TRANSLATION_KEYS = ("l1_weight", "cycle_weight", "identity_weight", "pool_size", "load_size")
LATENT_ONLY_KEYS = ("n_critic", "regulariser", "reg_weight", "reg_every", "ortho_weight", "diffaug", "ema_start")


def check_task_keys(settings: TrainSettings, arch: ArchitectureSpec) -> None:
    """Refuse settings the family's trainer would silently ignore (an image-to-image key on a GAN, or back)."""
    from zoo.specs import IMAGE_TO_IMAGE

    translating = arch.task == IMAGE_TO_IMAGE
    foreign = LATENT_ONLY_KEYS if translating else TRANSLATION_KEYS
    fields = TrainSettings.model_fields
    used = [key for key in foreign if getattr(settings, key) != fields[key].default]
    if used:
        kind = "GAN trainer for latent generators" if translating else "image-to-image trainer"
        trainer = "image-to-image trainer" if translating else "GAN trainer"
        raise ZooError(
            f"{', '.join(used)} {'is' if len(used) == 1 else 'are'} read only by the {kind}, and {arch.name} is "
            f"trained by the {trainer}: remove {'it' if len(used) == 1 else 'them'} from the recipe or --set"
        )


def fit_translation_channels(
    settings: TrainSettings, arch: ArchitectureSpec, channels: tuple[int, int], overrides: Mapping[str, str]
) -> None:
    """Give an image-to-image family the data's channels: ``in_channels`` from side A, ``channels`` from B."""
    for key, count in (("in_channels", channels[0]), ("channels", channels[1])):
        if key in arch.default_config and MODEL_PREFIX + key not in overrides:
            settings.model[key] = count


def _check_registered(settings: TrainSettings) -> None:
    """Losses, regularisers and metrics are registered names (plugins add theirs), checked before any work.

    eval_metrics may also name l1, psnr and ssim: no registered ``Metric`` plugins but measures of a
    translation against its own target (``zoo.metrics.translation``), reported by image-to-image runs on
    paired data. Settings do not know the task, so the run's evaluator, which does, refuses them for a
    generator (before the first step) and for unpaired data; a two-way translator's keys (fid_a2b …) are
    accepted as best_metric here for the same reason.
    """
    from zoo.metrics.evaluate import parse_metrics
    from zoo.metrics.translation import DIRECTIONS, PAIRED_MEASURES
    from zoo.registry import get_registry
    from zoo.training.evaluation import RESULT_KEYS, reported_keys

    losses = get_registry().losses
    for key in ("loss", "regulariser"):
        name = getattr(settings, key)
        if (name or key == "loss") and name not in losses:
            raise ZooError(f"{key} {name!r} is not registered: choose from {', '.join(sorted(losses))}")
    try:
        metrics = parse_metrics(settings.eval_metrics, also=PAIRED_MEASURES)
    except ZooError as exc:
        raise ZooError(f"eval_metrics: {exc}") from None
    reported = reported_keys(metrics)
    builtin = all(name in RESULT_KEYS for name in metrics)
    two_way = reported_keys(metrics, DIRECTIONS)
    if settings.best_metric and builtin and settings.best_metric not in reported + two_way:
        raise ZooError(
            f"best_metric {settings.best_metric!r} is not reported by eval_metrics={settings.eval_metrics}: "
            f"choose {', '.join(reported)}"
        )


def schema_error(error: ValidationError, source: str = "") -> ZooError:
    """The first problem pydantic found, as the one line the user needs: which key, what it takes, what it got."""
    problem = error.errors()[0]
    key = ".".join(str(part) for part in problem["loc"] if not isinstance(part, int)) or "settings"
    got = problem.get("input")
    where = f"{source} " if source else ""
    if problem["type"] == "extra_forbidden":
        return ZooError(f"{where}unknown setting {key!r}: valid keys are {', '.join(SETTING_NAMES)} and model.<key>")
    if problem["type"] in ("too_short", "too_long") or (problem["type"] == "missing" and isinstance(got, tuple)):
        return ZooError(f"{where}{key} must be a pair of numbers such as [0.5, 0.999], got {got!r}")  # Adam's betas
    message = problem["msg"].removeprefix("Input should be ").removeprefix("Value error, ")
    return ZooError(f"{where}{key} must be {message}, got {got!r}")


def _coerce(raw: Any) -> Any:
    """A ``--set`` value: JSON (numbers, booleans, lists) where it parses, else the string; typed by the schema."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _model_value(key: str, raw: str, current: Any) -> Any:
    """A ``--set model.KEY=VALUE``: the architecture's config keeps the type of its default."""
    value = _coerce(raw)
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if current is not None and type(value) is not type(current):
        raise ZooError(f"--set {key} takes a {type(current).__name__}, got {raw!r}")
    return value


def check_value(key: str, raw: str) -> None:
    """Refuse a ``--set`` value the schema would refuse, even when a later ``--set`` of the key replaces it."""
    if key in SETTING_NAMES:
        setattr(TrainSettings(), key, _coerce(raw))


def _build(values: Mapping[str, Any], source: str) -> TrainSettings:
    """Settings from plain values, with the schema's one-line error naming ``source``."""
    try:
        return TrainSettings(**values)
    except ZooError as exc:
        raise ZooError(f"{source} {exc}") from None


def saved_settings(record: Mapping[str, Any]) -> TrainSettings:
    """The settings a run recorded in its train_config.json; keys added since then take their defaults."""
    unknown = sorted(set(record) - set(TrainSettings.model_fields))
    if unknown:
        raise ZooError(f"the run was made by a newer gan-zoo (settings {', '.join(unknown)}): upgrade zoo-core")
    return _build({**LEGACY_VALUES, **record}, "the run's train_config.json:")


def resolve_settings(arch: ArchitectureSpec, recipe: str | None, overrides: Mapping[str, str]) -> TrainSettings:
    """Defaults ← the family's recipe ← ``--set`` overrides (``model.KEY`` sets the architecture config)."""
    recipes = dict(arch.recipes)
    name = recipe or "default"
    if recipe is not None and name not in recipes:
        raise ZooError(f"{arch.name} has no recipe {name!r}: choose one of {', '.join(sorted(recipes)) or '(none)'}")
    base = dict(recipes.get(name, {}))
    model = {**arch.default_config, **base.pop("model", {})}
    settings = _build({**base, "model": model}, f"{arch.name}'s recipe {name!r} (plugin {arch.plugin or 'unknown'}):")
    apply_overrides(settings, arch, overrides)
    settings.validate()
    check_task_keys(settings, arch)
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
        try:
            return _model_value(key, raw, current) == current
        except ZooError:
            return False
    if key not in SETTING_NAMES:
        return False
    try:
        probe = settings.model_copy()
        setattr(probe, key, _coerce(raw))
    except ZooError:
        return False
    return getattr(probe, key) == getattr(settings, key)


def apply_overrides(
    settings: TrainSettings, arch: ArchitectureSpec, overrides: Mapping[str, str], allowed: tuple[str, ...] = ()
) -> None:
    """Set ``--set`` overrides on ``settings`` in place; ``allowed`` (if given) limits which keys may change."""
    for key, raw in overrides.items():
        if allowed and key not in allowed and not _unchanged(settings, arch, key, raw):
            raise ZooError(f"--set {key} cannot change in a resumed run: only {', '.join(allowed)} can")
        if key.startswith(MODEL_PREFIX):
            sub = key[len(MODEL_PREFIX) :]
            if sub not in arch.default_config:
                model_keys = ", ".join(MODEL_PREFIX + k for k in sorted(arch.default_config))
                raise ZooError(f"unknown --set key {key!r}: model keys are {model_keys}")
            settings.model[sub] = _model_value(key, raw, arch.default_config[sub])
        elif key in SETTING_NAMES:
            setattr(settings, key, _coerce(raw))
        else:
            model_keys = "|".join(sorted(arch.default_config))
            names = ", ".join(SETTING_NAMES)
            raise ZooError(f"unknown --set key {key!r}: valid keys are {names} and model.<{model_keys}>")
