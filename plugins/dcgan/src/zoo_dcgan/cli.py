"""``zoo dcgan train``: the loop that trained ``dcgan-cifar10-32``, kept so its card's command reproduces it.

New runs use the shared engine, ``zoo train dcgan``.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click


@click.group("dcgan")
def dcgan_group() -> None:
    """DCGAN commands."""


@dcgan_group.command("train")
@click.option(
    "--data", required=True, type=click.Path(path_type=Path), help="An .npz of uint8 images or an image folder."
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run directory (checkpoints, samples).")
@click.option("--steps", type=click.IntRange(min=1), default=15_000, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=2), default=128, show_default=True)
@click.option("--resolution", type=click.Choice(["32", "64"]), default="32", show_default=True)
@click.option("--width", type=click.IntRange(min=1), default=64, show_default=True, help="Channel width.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--fp32", is_flag=True, help="Train in float32 instead of bf16 autocast.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
def train_command(
    data: Path, out: Path, steps: int, batch_size: int, resolution: str, width: int, seed: int, fp32: bool, resume: bool
) -> None:
    """Train a DCGAN; the result loads with zoo.load(OUT) and samples with 'zoo sample OUT'."""
    from zoo.files import check_writable_dir

    from zoo_dcgan.train import TrainConfig, train

    check_writable_dir(out.parent if str(out.parent) else Path("."), "parent of --out")
    config = TrainConfig(
        str(data), resolution=int(resolution), width=width, steps=steps, batch_size=batch_size, seed=seed, bf16=not fp32
    )
    config.command = shlex.join(["zoo", *sys.argv[1:]])
    weights = train(config, out, resume=resume)
    click.echo(f"trained {steps} steps; weights in {weights}")
