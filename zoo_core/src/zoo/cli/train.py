"""``zoo train FAMILY``: options for :func:`zoo.training.job.train` (the shared trainer), or a family's own trainer."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from zoo.cli.options import quiet_option
from zoo.errors import ZooError


def _parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    """['lr_g=1e-4', 'model.width=32'] -> {'lr_g': '1e-4', 'model.width': '32'}."""
    pairs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ZooError(f"--set takes key=value, got {item!r}")
        key, value = key.strip(), value.strip()
        if key in pairs:  # the last one wins, as with any repeated option, but a bad value is never dropped silently
            from zoo.training.settings import check_value

            check_value(key, pairs[key])
        pairs[key] = value
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
@click.option(
    "--data",
    required=True,
    help="An .npz of uint8 images, an image folder, tar or Parquet shards, hf:ORG/NAME[:SPLIT] "
    "or torchvision:DATASET:ROOT.",
)
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="Run directory (checkpoints, samples, logs)."
)
@click.option("--recipe", default=None, help="A named recipe of the family (default: its 'default' recipe).")
@click.option(
    "--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a setting, e.g. lr_g=1e-4 or model.width=32."
)
@click.option(
    "--steps",
    type=click.IntRange(max=10**8),
    default=None,
    help="Train until this many steps (also extends a resumed run).",
)
@click.option(
    "--until",
    type=click.IntRange(min=1, max=10**8),
    default=None,
    help="Stop at this step, checkpointed, keeping the schedule of --steps: train in sessions with --resume.",
)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda (torchrun: one GPU per rank).")
@quiet_option
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
    from zoo.training.job import train

    train(
        family, data, out, recipe=recipe, settings=_parse_sets(sets), steps=steps, until=until, resume=resume,
        device=device, quiet=quiet, say=click.echo, command=shlex.join(["zoo", *sys.argv[1:]]),
    )  # fmt: skip
