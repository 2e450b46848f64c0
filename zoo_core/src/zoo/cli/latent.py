"""``zoo interpolate`` and ``zoo style-mix``: latent walks as a GIF or PNG strip, style-mixing grids as PNG.

Imports nothing heavy at module level, so ``--help`` stays torch-free.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from zoo.arguments import comma_list
from zoo.cli.options import (
    DTYPE_HELP,
    FINITE,
    check_numbers,
    quiet_option,
    require_class_flag,
    scale_option,
    verbose_option,
)
from zoo.errors import ZooError
from zoo.files import check_output_file

if TYPE_CHECKING:
    import numpy as np

MAX_STEPS = 1000  # images per leg
MAX_LAYER = 1000  # far above any model's style inputs; stops '0-999999999' building a huge list


def parse_seeds(text: str, option: str) -> list[int]:
    """'1,2,3' -> [1, 2, 3]; non-negative integers only."""
    items = comma_list(text, option, "1,2,3")
    if not all(item.isdigit() for item in items):
        raise ZooError(f"{option} takes comma-separated non-negative integers like 1,2,3, got {text!r}")
    return [int(item) for item in items]


def parse_layers(text: str) -> list[int]:
    """'0-3' or '0,1,6-9' -> sorted unique style-input indices (ranges include both ends)."""
    layers: set[int] = set()
    for item in comma_list(text, "--layers", "0,1,6-9"):
        low, sep, high = item.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise ZooError(f"--layers takes indices and ranges like 0-3 or 0,1,6-9, got {text!r}")
        first, last = int(low), int(high) if sep else int(low)
        if last > MAX_LAYER:
            raise ZooError(f"--layers index {last} is out of range: style inputs are numbered from 0 to num_ws - 1")
        if last < first:
            raise ZooError(f"--layers range {item!r} runs backwards: write it as {last}-{first}")
        layers.update(range(first, last + 1))
    return sorted(layers)


def _enlarge(images: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling, so small images stay crisp when viewed."""
    return images.repeat(scale, axis=1).repeat(scale, axis=2) if scale > 1 else images


def save_gif(path: Path, frames: np.ndarray, duration_ms: int) -> None:
    """Write (N, H, W, C) uint8 frames as an endlessly looping animated GIF, atomically."""
    from PIL import Image

    from zoo.files import atomic_path

    pictures = [Image.fromarray(frame[:, :, 0] if frame.shape[2] == 1 else frame) for frame in frames]
    with atomic_path(path) as tmp:
        pictures[0].save(
            tmp, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0, optimize=False
        )


_COMMON = [
    click.option("--truncation", type=FINITE, default=None, help="Truncation ψ in (0, 1]: lower is more typical."),
    scale_option("Enlarge every image this many times."),
    click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps."),
    click.option("--dtype", default="auto", show_default=True, help=DTYPE_HELP),
    verbose_option,
    quiet_option,  # no bars of their own, but the weights may be pulled from the Hub first
]


def _common_options(command: Callable) -> Callable:
    """Add the options both commands share."""
    for option in reversed(_COMMON):
        command = option(command)
    return command


@click.command("interpolate")
@click.argument("name")
@click.option("--seeds", required=True, help="Seeds to walk through in order, e.g. 1,2,3.")
@click.option(
    "--steps",
    type=click.IntRange(max=10_000),
    default=16,
    show_default=True,
    help="Images per leg, both ends included.",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="walk.gif or strip.png.")
@click.option("--class", "label", default=None, help="Class name or index for conditional models.")
@click.option("--loop", is_flag=True, help="Walk back to the first seed at the end.")
@click.option(
    "--duration", type=click.IntRange(max=60_000), default=80, show_default=True, help="GIF: milliseconds per frame."
)
@_common_options
def interpolate_command(
    name: str,
    seeds: str,
    steps: int,
    output: Path,
    label: str | None,
    loop: bool,
    duration: int,
    truncation: float | None,
    scale: int,
    device: str,
    dtype: str,
    verbose: bool,
    quiet: bool,
) -> None:
    """Walk through the latent space of NAME from seed to seed: an animated .gif or a .png strip.

    Style-based generators walk in W; others along a great circle in z. A PNG has one row per leg.
    """
    stops = parse_seeds(seeds, "--seeds")
    if len(stops) < 2:
        raise ZooError(f"--seeds needs at least two seeds to walk between, got {seeds!r}")
    if not 2 <= steps <= MAX_STEPS:
        raise ZooError(f"--steps must be between 2 and {MAX_STEPS} (both ends are included), got {steps}")
    if not 10 <= duration <= 10_000:
        raise ZooError(f"--duration must be between 10 and 10000 ms, got {duration}")
    check_numbers(truncation, scale)
    check_output_file(output, (".gif", ".png"))

    import numpy as np

    from zoo.api import load
    from zoo.images import make_grid, save_png
    from zoo.model import parse_device, parse_dtype

    handle = load(name, device=parse_device(device), dtype=parse_dtype(dtype))
    if verbose:
        click.echo(f"inference: {handle.inference_plan.describe()}", err=True)
    require_class_flag(handle, label is not None)
    legs = list(zip(stops, stops[1:] + stops[:1] if loop else stops[1:], strict=False))
    labels = [label] if label is not None else None
    walks = [handle.interpolate(a, b, steps, labels=labels, truncation=truncation).numpy() for a, b in legs]
    if output.suffix.lower() == ".gif":
        # consecutive legs share their end image: keep it once
        frames = np.concatenate([walks[0]] + [walk[1:] for walk in walks[1:]])
        if loop:
            frames = frames[:-1]
        save_gif(output, _enlarge(frames, scale), duration)
        what = f"{len(frames)}-frame GIF"
    else:
        save_png(output, make_grid(_enlarge(np.concatenate(walks), scale), nrow=steps))
        what = f"{len(legs)}×{steps} PNG strip"
    click.echo(f"wrote a {what} of {handle.spec.name} (seeds {', '.join(map(str, stops))}) to {output}")


@click.command("style-mix")
@click.argument("name")
@click.option("--rows", required=True, help="Seeds whose styles are kept (left column), e.g. 1,2,3.")
@click.option("--cols", required=True, help="Seeds that lend the --layers styles (top row), e.g. 10,11,12.")
@click.option("--layers", required=True, help="Style inputs taken from --cols, e.g. 0-3 (coarse) or 6-9 (fine).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="mix.png.")
@_common_options
def style_mix_command(
    name: str,
    rows: str,
    cols: str,
    layers: str,
    output: Path,
    truncation: float | None,
    scale: int,
    device: str,
    dtype: str,
    verbose: bool,
    quiet: bool,
) -> None:
    """Style-mixing grid of NAME, laid out like the StyleGAN paper's figure.

    The top row shows the --cols images, the left column the --rows images; the cell in row i
    and column j is row i's image with the --layers style inputs taken from column j's
    (0 = coarsest, 4×4: pose and shape; the highest = finest: colour and texture).
    """
    row_seeds, col_seeds = parse_seeds(rows, "--rows"), parse_seeds(cols, "--cols")
    chosen = parse_layers(layers)
    check_numbers(truncation, scale)
    check_output_file(output)

    import numpy as np

    from zoo.api import load
    from zoo.images import make_grid, save_png
    from zoo.model import parse_device, parse_dtype

    handle = load(name, device=parse_device(device), dtype=parse_dtype(dtype))
    if verbose:
        click.echo(f"inference: {handle.inference_plan.describe()}", err=True)
    mixes = handle.style_mix(row_seeds, col_seeds, chosen, truncation=truncation).numpy()
    # The sources themselves, exactly as `zoo sample NAME -n 1 --seed S` draws them.
    row_images = [handle.sample(1, seed=s, truncation=truncation)[0].numpy() for s in row_seeds]
    col_images = [handle.sample(1, seed=s, truncation=truncation)[0].numpy() for s in col_seeds]
    blank = np.full_like(mixes[0, 0], 255)
    cells = [blank, *col_images]
    for i, row_image in enumerate(row_images):
        cells += [row_image, *mixes[i]]
    save_png(output, make_grid(_enlarge(np.stack(cells), scale), nrow=len(col_seeds) + 1))
    click.echo(
        f"wrote a {len(row_seeds)}×{len(col_seeds)} style-mixing grid of {handle.spec.name} "
        f"(layers {layers} from the columns) to {output}"
    )


LATENT_COMMANDS = (interpolate_command, style_mix_command)
