"""``zoo train FAMILY``: the shared trainer, on one process or under ``torchrun``."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zoo.errors import ZooError
from zoo.files import check_run_dir, remove_empty

if TYPE_CHECKING:
    from zoo.training.trainer import Trainer


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    """['lr_g=1e-4', 'model.width=32'] -> {'lr_g': '1e-4', 'model.width': '32'}."""
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ZooError(f"--set takes key=value, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _family_trainer(args: list[str]) -> tuple[str, click.Command] | None:
    """The family's own click command when ``args`` start with a family whose spec names a ``trainer``."""
    if not args or args[0].startswith("-"):
        return None
    from zoo.registry import get_registry
    from zoo.specs import import_object

    arch = get_registry().architectures.get(args[0])
    if arch is None or arch.trainer is None:
        return None
    command = import_object(arch.trainer, arch.plugin)
    if not isinstance(command, click.Command):
        raise ZooError(f"{arch.name}: trainer {arch.trainer!r} is not a click command: reinstall or fix its plugin")
    return arch.name, command


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


def _already_trained(out: Path, step: int, steps: int) -> None:
    """A resume with nothing left to train: say so (exit 0), or refuse a --steps below the run's step."""
    if step > steps:
        raise ZooError(f"{out} is already at step {step}, past --steps {steps}: pass a larger --steps to train further")
    click.echo(f"{out} is already trained to step {step}: nothing to do (pass a larger --steps to train further)")


def _resume_and_run(trainer: Trainer, out: Path, until: int | None) -> Path | None:
    """Continue a run from its checkpoint; None (said on rank 0) when it is already where it should stop."""
    trainer.resume()
    steps, say = trainer.settings.steps, trainer.context.is_main
    if trainer.step >= steps:
        if say or trainer.step > steps:
            _already_trained(out, trainer.step, steps)
        return None
    if until is not None and trainer.step >= until:
        if say:
            click.echo(
                f"{out} is already at step {trainer.step}, --until {until}: nothing to do "
                f"(pass a larger --until, or leave it out to train to step {steps})"
            )
        return None
    return trainer.run(until)


def _run_record(path: Path) -> dict:
    """A run's train_config.json, or a one-line error when it is missing or damaged."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        raise ZooError(f"{path} is missing or damaged: the run cannot be resumed; start a new --out") from None
    if not isinstance(record, dict) or not isinstance(record.get("settings"), dict):
        raise ZooError(f"{path} records no settings: the run cannot be resumed; start a new --out")
    return record


class TrainCommand(click.Command):
    """``zoo train``: hands everything after FAMILY to the family's own trainer when its spec names one."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: object
    ) -> click.Context:
        delegate = _family_trainer(args)
        if delegate is None:
            return super().make_context(info_name, args, parent=parent, **extra)
        family, command = delegate
        # click's Group invokes ``sub_ctx.command``, so returning the trainer's context runs the trainer.
        return command.make_context(f"{info_name} {family}", args[1:], parent=parent, **extra)


@click.command("train", cls=TrainCommand)
@click.argument("family")
@click.option("--data", required=True, help="An .npz of uint8 images, an image folder, or torchvision:DATASET:ROOT.")
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Run directory (checkpoints, samples, logs)."
)
@click.option("--recipe", default=None, help="A named recipe of the family (default: its 'default' recipe).")
@click.option(
    "--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a setting, e.g. lr_g=1e-4 or model.width=32."
)
@click.option("--steps", type=int, default=None, help="Train until this many steps (also extends a resumed run).")
@click.option(
    "--until",
    type=click.IntRange(min=1),
    default=None,
    help="Stop at this step, checkpointed, keeping the schedule of --steps: train in sessions with --resume.",
)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda (torchrun: one GPU per rank).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train_command(
    family: str,
    data: str,
    out: Path,
    recipe: str | None,
    sets: tuple[str, ...],
    steps: int | None,
    until: int | None,
    resume: bool,
    device: str,
    quiet: bool,
) -> None:
    """Train FAMILY on --data into --out; the run loads with zoo.load(OUT) and publishes with zoo push.

    Families with their own trainer (e.g. style-transfer) take their own options: zoo train FAMILY --help.
    """
    from zoo.data import class_names, data_channels, dataset_fingerprint, is_torchvision_spec
    from zoo.registry import get_registry
    from zoo.training.settings import (
        CHECKPOINT,
        RESUMABLE_KEYS,
        RUN_CONFIG,
        apply_overrides,
        fit_channels_to_data,
        fit_classes_to_data,
        resolve_settings,
        saved_settings,
    )

    arch = get_registry().architecture(family)
    overrides = _parse_sets(sets)
    from_torchvision = is_torchvision_spec(data)
    if not from_torchvision and not Path(data).exists():
        raise ZooError(f"data path {data!r} does not exist")
    created = check_run_dir(out)
    _check_device(device)
    if resume:
        if not (out / CHECKPOINT).exists():
            raise ZooError(f"{out} holds no checkpoint to resume: drop --resume to start a new run")
        if recipe:
            raise ZooError("a resumed run keeps its recipe: drop --recipe")
        record = _run_record(out / RUN_CONFIG)
        if record.get("family") != arch.name:
            raise ZooError(f"{out} is a {record.get('family')} run; resume it with zoo train {record.get('family')}")
        settings = saved_settings(record["settings"])
        apply_overrides(settings, arch, overrides, allowed=RESUMABLE_KEYS)
    else:
        if (out / CHECKPOINT).exists():
            raise ZooError(f"{out} already holds a run: pass --resume to continue it or choose another --out")
        settings = resolve_settings(arch, recipe, overrides)
        fit_classes_to_data(settings, arch, () if from_torchvision else class_names(data), overrides)
        fit_channels_to_data(settings, arch, 3 if from_torchvision else data_channels(data), overrides)
    if steps is not None:
        settings.steps = steps
    settings.validate()
    if until is not None and until > settings.steps:
        raise ZooError(f"--until {until} is past the run's last step {settings.steps}: pass a larger --steps too")
    # Hashed once here, by every rank at the same time, before any of them waits on another.
    fingerprint = None if from_torchvision else dataset_fingerprint(data)
    if resume:
        _check_same_data(record, data, fingerprint)

    from zoo.training.trainer import Trainer

    out.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["zoo", *sys.argv[1:]])
    trainer = None
    try:
        trainer = Trainer(
            arch, settings, data, out, device=device, quiet=quiet, command=command, data_sha256=fingerprint
        )
        weights = _resume_and_run(trainer, out, until) if resume else trainer.run(until)
    finally:
        if trainer is not None:
            from zoo.training.distributed import shutdown

            shutdown(trainer.context)
        if created and os.environ.get("RANK", "0") == "0":
            remove_empty(created)  # a run that failed before writing anything leaves nothing behind
    if weights is not None and trainer.context.is_main:
        click.echo(f"trained {family} to step {trainer.step}; load it with zoo.load({str(out)!r}) -> {weights}")
        if trainer.step < settings.steps:
            click.echo(
                f"the schedule runs to step {settings.steps}: continue with the same command plus --resume "
                "(and a larger --until, or none)"
            )
    if trainer.context.distributed:
        from zoo.training.distributed import exit_worker

        exit_worker(trainer.context)
