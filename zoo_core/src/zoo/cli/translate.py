"""``zoo translate``: an image-to-image model (style network, Pix2Pix, CycleGAN, a plugin's) over images."""

from __future__ import annotations

import json
from pathlib import Path

import click

from zoo.cli.options import DTYPE_HELP, quiet_option, verbose_option


@click.command("translate")
@click.argument("name")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True,
    help="An image file (one input), a folder (one PNG per input), or FILE.npz (uint8 images, one size).",
)  # fmt: skip
@click.option("--direction", type=click.Choice(["a2b", "b2a"]), default=None, help="Two-way models: a2b or b2a.")
@click.option("--size", type=click.IntRange(16, 4096), default=None, help="Resize inputs to this longest side first.")
@click.option(
    "--batch-size", type=click.IntRange(1, 1024), default=8, show_default=True, help="Images per forward pass."
)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps.")
@click.option("--dtype", default="auto", show_default=True, help=DTYPE_HELP)
@click.option("--force", is_flag=True, help="Replace outputs that exist.")
@verbose_option
@quiet_option
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def translate_command(
    name: str,
    inputs: tuple[Path, ...],
    output: Path,
    direction: str | None,
    size: int | None,
    batch_size: int,
    device: str,
    dtype: str,
    force: bool,
    verbose: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Translate INPUTS (image files, folders of images, .npz arrays) with the image-to-image model NAME.

    zoo translate style-transfer-candy photo.jpg -o candy.png; zoo translate MODEL photos/ -o out/
    """
    from zoo.translation import translate

    result = translate(
        name, list(inputs), output, direction=direction, size=size, batch_size=batch_size, device=device,
        dtype=None if dtype == "auto" else dtype, force=force, progress=not quiet,
    )  # fmt: skip
    if verbose:
        click.echo(f"inference: {result.inference}", err=True)
    for note in result.notes[:5]:
        click.echo(f"note: {note}", err=True)
    if len(result.notes) > 5:
        click.echo(f"note: {len(result.notes) - 5} more input(s) were changed the same ways on reading", err=True)
    where = str(result.outputs[0]) if len(result.outputs) == 1 else str(output)
    if as_json:
        summary = {"model": result.model, "direction": result.direction, "images": result.count, "output": where}
        click.echo(json.dumps(summary))
    else:
        click.echo(f"translated {result.count} image(s) {result.direction} with {result.model} to {where}")
