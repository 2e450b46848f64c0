"""``zoo.train``: one training job (new or resumed) from a family, data and a run directory.

The ``zoo train`` command parses its options and calls :func:`train`; Python users call it directly
(``zoo.train("dcgan", "cifar10.npz", "runs/dcgan", settings={"batch_size": 128})``). Both get the
same one-line ``ZooError`` for bad input, checked before torch is imported.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.boundary import public
from zoo.errors import ZooError
from zoo.files import check_run_dir, path_argument, remove_empty

if TYPE_CHECKING:
    from zoo.training.trainer import Trainer

Say = Callable[[str], None]


@public
def train(
    family: str,
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    recipe: str | None = None,
    settings: Mapping[str, Any] | None = None,
    steps: int | None = None,
    until: int | None = None,
    resume: bool = False,
    device: str = "auto",
    quiet: bool = False,
    say: Say = print,
    command: str | None = None,
) -> Path | None:
    """Train ``family`` on ``data`` into ``out``; return the exported weights (None: nothing left to train).

    ``settings`` overrides the recipe, e.g. ``{"lr_g": 1e-4, "model.width": 32}`` (``--set`` in the CLI).
    The run loads with ``zoo.load(out)`` and publishes with ``zoo.push(out, ...)``. ``command`` is what the run
    records as its training command (default: the equivalent ``zoo train`` command line).
    """
    if not isinstance(family, str) or not family:
        raise ZooError(f"family must be a family name such as 'dcgan', got {family!r}")
    if not isinstance(data, (str, os.PathLike)) or not str(data):
        raise ZooError(f"data must be a path to an .npz or an image folder (or torchvision:NAME:ROOT), got {data!r}")
    if not isinstance(out, (str, os.PathLike)) or not str(out):
        raise ZooError(f"out must be a run directory path, got {out!r}")
    for name, value in (("steps", steps), ("until", until)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ZooError(f"{name} must be a positive integer, got {value!r}")
    overrides = _overrides(settings)
    data, out = str(data), Path(out)
    # The CLI passes what the user typed; a Python call records the zoo train command that repeats it.
    command = command or _command(family, data, out, recipe, overrides, steps, until, resume, device)

    from zoo.data import class_names, data_channels, dataset_fingerprint
    from zoo.data_formats import is_hub_spec, is_torchvision_spec
    from zoo.registry import get_registry
    from zoo.specs import IMAGE_TO_IMAGE
    from zoo.training.settings import (
        CHECKPOINT,
        RESUMABLE_KEYS,
        RUN_CONFIG,
        apply_overrides,
        check_task_keys,
        fit_channels_to_data,
        fit_classes_to_data,
        fit_translation_channels,
        resolve_settings,
        saved_settings,
    )
    from zoo.translation_data import translation_channels

    arch = get_registry().architecture(family)
    translating = arch.task == IMAGE_TO_IMAGE
    if translating and arch.trainer:
        raise ZooError(
            f"{arch.name} has its own trainer, which takes its own options: run 'zoo train {arch.name} --help' "
            "in a shell (zoo.train drives the shared trainers only)"
        )
    if translating and arch.discriminator is None:
        raise ZooError(f"{arch.name} registers no discriminator, so the image-to-image GAN trainer cannot train it")
    if is_hub_spec(data):
        from zoo.data_formats import parse_hub_spec

        parse_hub_spec(data)  # a malformed hf: name is refused before any request
    from_torchvision = is_torchvision_spec(data)
    if not from_torchvision and not is_hub_spec(data) and not Path(data).exists():
        raise ZooError(f"data path {data!r} does not exist")
    created = check_run_dir(out)
    _check_device(device)
    if resume:
        if not (out / CHECKPOINT).exists():
            raise ZooError(f"{out} holds no checkpoint to resume: drop --resume to start a new run")
        record = _run_record(out / RUN_CONFIG)
        if recipe and recipe != _recorded_recipe(record):
            raise ZooError(f"a resumed run keeps its recipe ({_recorded_recipe(record) or 'default'}): drop --recipe")
        if record.get("family") != arch.name:
            raise ZooError(f"{out} is a {record.get('family')} run; resume it with zoo train {record.get('family')}")
        settings = saved_settings(record["settings"])
        apply_overrides(settings, arch, overrides, allowed=RESUMABLE_KEYS)
    else:
        if (out / CHECKPOINT).exists():
            raise ZooError(f"{out} already holds a run: pass --resume to continue it or choose another --out")
        settings = resolve_settings(arch, recipe, overrides)
        if translating:
            if from_torchvision or is_hub_spec(data):
                raise ZooError(f"{arch.name} trains on image pairs or two domains: give an .npz or a folder as --data")
            fit_translation_channels(settings, arch, translation_channels(data), overrides)
        else:
            fit_classes_to_data(settings, arch, () if from_torchvision else class_names(data), overrides)
            fit_channels_to_data(settings, arch, 3 if from_torchvision else data_channels(data), overrides)
    if steps is not None:
        settings.steps = steps
    settings.validate()
    check_task_keys(settings, arch)
    if until is not None and until > settings.steps:
        raise ZooError(f"--until {until} is past the run's last step {settings.steps}: pass a larger --steps too")
    # Hashed once here, by every rank at the same time, before any of them waits on another.
    fingerprint = None if from_torchvision else dataset_fingerprint(data)
    if resume:
        _check_same_data(record, data, fingerprint)

    from zoo.hardware import keep_freed_memory
    from zoo.training.trainer import Trainer
    from zoo.training.translation_trainer import TranslationTrainer

    keep_freed_memory()  # every rank: a step's feature maps are reused, not page-faulted in anew each step

    trainer_class = TranslationTrainer if translating else Trainer

    out.mkdir(parents=True, exist_ok=True)
    trainer = None
    try:
        trainer = trainer_class(
            arch, settings, data, out, device=device, quiet=quiet, command=command, data_sha256=fingerprint
        )
        weights = _resume_and_run(trainer, out, until, say) if resume else trainer.run(until)
    finally:
        if trainer is not None:
            from zoo.training.distributed import shutdown

            shutdown(trainer.context)
        if created and os.environ.get("RANK", "0") == "0":
            remove_empty(created)  # a run that failed before writing anything leaves nothing behind
    if weights is not None and trainer.context.is_main:
        say(f"trained {family} to step {trainer.step}; load it with zoo.load({path_argument(out)!r}) -> {weights}")
        if trainer.step < settings.steps:
            say(
                f"the schedule runs to step {settings.steps}: continue with the same command plus --resume "
                "(and a larger --until, or none)"
            )
    if trainer.context.distributed:
        from zoo.training.distributed import exit_worker

        exit_worker(trainer.context)
    return weights


def _overrides(settings: Mapping[str, Any] | None) -> dict[str, str]:
    """Python values (or CLI strings) as the ``--set`` strings the settings parser takes."""
    if settings is None:
        return {}
    if not isinstance(settings, Mapping):
        raise ZooError(f"settings must be a mapping like {{'lr_g': 1e-4}}, got {type(settings).__name__}")
    pairs = {}
    for key, value in settings.items():
        if not isinstance(key, str) or not key:
            raise ZooError(f"settings keys are names like 'lr_g' or 'model.width', got {key!r}")
        pairs[key] = value if isinstance(value, str) else json.dumps(list(value) if isinstance(value, tuple) else value)
    return pairs


def _command(family, data, out, recipe, overrides, steps, until, resume, device) -> str:  # type: ignore[no-untyped-def]
    """The ``zoo train`` command equivalent to this call: recorded in the run so cards can reproduce it."""
    words = ["zoo", "train", family, "--data", data, "--out", str(out)]
    words += ["--recipe", recipe] if recipe else []
    for key, value in overrides.items():
        words += ["--set", f"{key}={value}"]
    words += ["--steps", str(steps)] if steps is not None else []
    words += ["--until", str(until)] if until is not None else []
    words += ["--resume"] if resume else []
    words += ["--device", device] if device != "auto" else []
    return shlex.join(words)


def _check_device(device: str) -> None:
    """Refuse a device this machine lacks before any work starts ('auto' picks CUDA when present)."""
    if device != "auto":
        from zoo.model import parse_device

        parse_device(device)


def _check_same_data(record: dict, data: str, fingerprint: str | None) -> None:
    """Refuse to resume on data other than the run's (a file or image folder; moved or renamed is fine)."""
    expected = record.get("data_sha256")
    if not expected:
        return  # trained on a torchvision: spec, or by a version that did not record it
    if fingerprint is None:
        raise ZooError(
            f"this run was trained on {record.get('data')} (sha256 {expected[:12]}…), not on {data}: "
            "resume with that data"
        )
    if fingerprint != expected:
        raise ZooError(
            f"--data {data} is not the data this run was trained on ({record.get('data')}, sha256 {expected[:12]}…): "
            "resume with that data, or start a new --out"
        )


def _already_trained(out: Path, step: int, steps: int, say: Say) -> None:
    """A resume with nothing left to train: say so (exit 0), or refuse a --steps below the run's step."""
    if step > steps:
        raise ZooError(f"{out} is already at step {step}, past --steps {steps}: pass a larger --steps to train further")
    say(f"{out} is already trained to step {step}: nothing to do (pass a larger --steps to train further)")


def _resume_and_run(trainer: Trainer, out: Path, until: int | None, say: Say) -> Path | None:
    """Continue a run from its checkpoint; None (said on rank 0) when it is already where it should stop."""
    trainer.resume()
    steps, main = trainer.settings.steps, trainer.context.is_main
    if trainer.step >= steps:
        if main or trainer.step > steps:
            _already_trained(out, trainer.step, steps, say)
        return None
    if until is not None and trainer.step >= until:
        if main:
            say(
                f"{out} is already at step {trainer.step}, --until {until}: nothing to do "
                f"(pass a larger --until, or leave it out to train to step {steps})"
            )
        return None
    return trainer.run(until)


def _recorded_recipe(record: dict) -> str | None:
    """The --recipe of the run's first command (so 'the same command plus --resume' is accepted)."""
    try:
        words = shlex.split(str(record.get("command", "")))
    except ValueError:
        return None
    for index, word in enumerate(words):
        if word == "--recipe" and index + 1 < len(words):
            return words[index + 1]
        if word.startswith("--recipe="):
            return word.partition("=")[2]
    return None


def _run_record(path: Path) -> dict:
    """A run's train_config.json, or a one-line error when it is missing or damaged."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ZooError(f"{path} is missing or damaged: the run cannot be resumed; start a new --out") from None
    if not isinstance(record, dict) or not isinstance(record.get("settings"), dict):
        raise ZooError(f"{path} records no settings: the run cannot be resumed; start a new --out")
    return record
