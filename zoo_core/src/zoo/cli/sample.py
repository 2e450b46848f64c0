"""``zoo sample``: images from a model into one PNG grid or one PNG per image."""

from __future__ import annotations

from pathlib import Path

import click

from zoo.errors import ZooError
from zoo.files import check_output_file, check_writable_dir

MAX_CLI_SAMPLES = 10_000


def _check_outputs(output: Path | None, out_dir: Path | None) -> None:
    """Fail before any work if the requested output cannot be written."""
    if (output is None) == (out_dir is None):
        raise ZooError("choose exactly one of -o/--output FILE.png and --out-dir DIR")
    if output is not None:
        check_output_file(output)
    else:
        assert out_dir is not None
        if out_dir.exists():
            check_writable_dir(out_dir)
        else:
            check_writable_dir(out_dir.parent, "parent of --out-dir")


def require_class_flag(handle, given: bool) -> None:
    """A class-conditional model needs --class: say so in CLI words (the API's error speaks of labels=)."""
    num_classes = getattr(handle.generator, "num_classes", 0)
    if num_classes and not given:
        choices = ", ".join(handle.classes) or f"0..{num_classes - 1}"
        raise ZooError(f"{handle.spec.name} is class-conditional: pass --class NAME (one of {choices})")


@click.command("sample")
@click.argument("name")
@click.option("-n", "--num", "n", type=int, default=64, show_default=True, help="Number of images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same images.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write one PNG grid here.")
@click.option("--out-dir", type=click.Path(path_type=Path), help="Write one PNG per image into this directory.")
@click.option("--nrow", type=int, default=None, help="Images per grid row (default: square).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps.")
@click.option("--dtype", default="float32", show_default=True, help="float32, bfloat16 or float16.")
@click.option("--batch-size", type=int, default=64, show_default=True, help="Images per forward pass.")
@click.option("--class", "labels", multiple=True, help="Class name or index for conditional models (repeatable).")
@click.option(
    "--per-class",
    type=int,
    default=None,
    help="Conditional models: this many images of every class, one grid row per class (replaces -n and --class).",
)
@click.option("--truncation", type=float, default=None, help="Truncation in (0, 1] where the family supports it.")
def sample_command(
    name: str,
    n: int,
    seed: int,
    output: Path | None,
    out_dir: Path | None,
    nrow: int | None,
    device: str,
    dtype: str,
    batch_size: int,
    labels: tuple[str, ...],
    per_class: int | None,
    truncation: float | None,
) -> None:
    """Sample N images from NAME (a family, a checkpoint or a run directory)."""
    if not 1 <= n <= MAX_CLI_SAMPLES:
        raise ZooError(f"-n must be between 1 and {MAX_CLI_SAMPLES}, got {n}")
    if batch_size < 1:
        raise ZooError(f"--batch-size must be at least 1, got {batch_size}")
    if nrow is not None and nrow < 1:
        raise ZooError(f"--nrow must be at least 1, got {nrow}")
    if per_class is not None and per_class < 1:
        raise ZooError(f"--per-class must be at least 1 (images of every class), got {per_class}")
    if per_class is not None and labels:
        raise ZooError("--per-class replaces --class (it draws every class): drop one of them")
    _check_outputs(output, out_dir)

    from zoo.api import load
    from zoo.images import make_grid, save_png
    from zoo.model import parse_device, parse_dtype

    target_device, target_dtype = parse_device(device), parse_dtype(dtype)
    handle = load(name, device=target_device, dtype=target_dtype)
    num_classes = getattr(handle.generator, "num_classes", 0)
    if per_class is not None:
        if not num_classes:
            raise ZooError(f"{handle.spec.name} is unconditional: --per-class needs a class-conditional model")
        labels = tuple(str(index) for index in range(num_classes) for _ in range(per_class))
        n, nrow = len(labels), per_class
        if n > MAX_CLI_SAMPLES:
            raise ZooError(f"--per-class {per_class} asks for {n} images, more than {MAX_CLI_SAMPLES}: use fewer")
    require_class_flag(handle, bool(labels))
    images = handle.sample(n, seed=seed, labels=list(labels) or None, truncation=truncation, batch_size=batch_size)
    array = images.numpy()
    if output is not None:
        save_png(output, make_grid(array, nrow=nrow))
        click.echo(f"wrote {n} images of {handle.spec.name} (seed {seed}) to {output}")
    else:
        assert out_dir is not None
        out_dir.mkdir(exist_ok=True)
        for index, image in enumerate(array):
            save_png(out_dir / f"{seed:06d}-{index:05d}.png", image)
        click.echo(f"wrote {n} PNG files of {handle.spec.name} (seed {seed}) to {out_dir}")
