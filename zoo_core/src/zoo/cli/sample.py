"""``zoo sample``: images from a model into one PNG grid, one PNG per image, or an .npz dump for metric tools."""

from __future__ import annotations

from pathlib import Path

import click

from zoo.arguments import comma_list
from zoo.cli.options import (
    DTYPE_HELP,
    FINITE,
    SEED,
    check_numbers,
    quiet_option,
    require_class_flag,
    scale_option,
    verbose_option,
)
from zoo.errors import ZooError
from zoo.files import check_output_file, check_writable_dir

MAX_CLI_SAMPLES = 10_000
"""Most images in one PNG grid; --out-dir and .npz dumps stream up to the model's MAX_STREAMED_SAMPLES."""
OUTPUT_SUFFIXES = (".png", ".npz")


def _check_outputs(output: Path | None, out_dir: Path | None) -> None:
    """Fail before any work if the requested output cannot be written."""
    if (output is None) == (out_dir is None):
        raise ZooError("choose exactly one of -o/--output FILE.png (a grid) or FILE.npz (a dump) and --out-dir DIR")
    if output is not None:
        check_output_file(output, OUTPUT_SUFFIXES)
    else:
        assert out_dir is not None
        if out_dir.exists():
            check_writable_dir(out_dir)
        else:
            check_writable_dir(out_dir.parent, "parent of --out-dir")


def split_classes(values: tuple[str, ...]) -> tuple[str, ...]:
    """--class values, each possibly 'a,b,c', as one tuple of class names or indices."""
    return tuple(name for value in values for name in comma_list(value, "--class", "cat,dog"))


def file_label(name: str) -> str:
    """A class name as a file-name part: 'T-shirt/top' -> 'T-shirt-top'."""
    kept = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.")
    return kept[:40] or "class"


@click.command("sample")
@click.argument("name")
@click.option(
    "-n", "--num", "n", type=click.IntRange(max=2**31 - 1), default=64, show_default=True, help="Number of images."
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Same seed, same images.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="FILE.png: one grid; FILE.npz: a dump for metric tools."
)
@click.option("--out-dir", type=click.Path(path_type=Path), help="Write one PNG per image into this directory.")
@click.option("--nrow", type=click.IntRange(max=10_000), default=None, help="Images per grid row (default: square).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps.")
@click.option("--dtype", default="auto", show_default=True, help=DTYPE_HELP)
@verbose_option
@click.option(
    "--batch-size", type=click.IntRange(max=4096), default=64, show_default=True, help="Images per forward pass."
)
@click.option(
    "--class",
    "labels",
    multiple=True,
    help="Class names or indices for conditional models: --class Sneaker, --class Bag,Coat (cycled over -n).",
)
@click.option(
    "--per-class",
    type=click.IntRange(max=100_000),
    default=None,
    help="Conditional models: this many images of every class, one grid row per class (replaces -n and --class).",
)
@click.option("--truncation", type=FINITE, default=None, help="Truncation in (0, 1] where the family supports it.")
@scale_option("PNG output: enlarge every image this many times.")
@quiet_option
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
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
    scale: int,
    quiet: bool,
    as_json: bool,
    verbose: bool,
) -> None:
    """Sample N images from NAME (a family, a checkpoint or a run directory).

    -o FILE.npz streams the images (uint8 N×H×W×3, grey repeated to RGB) and, for conditional models,
    class-balanced labels into one file for clean-fid, torch-fidelity or StudioGAN: zoo sample dcgan -n 50000 -o s.npz
    """
    from zoo.hardware import prefer_huge_pages

    prefer_huge_pages()  # before anything below imports torch
    from zoo.model import MAX_STREAMED_SAMPLES

    grid = output is not None and output.suffix.lower() == ".png"
    limit = MAX_CLI_SAMPLES if grid else MAX_STREAMED_SAMPLES
    if not 1 <= n <= limit:
        more = "; --out-dir and -o FILE.npz take more" if grid else ""
        raise ZooError(f"-n must be between 1 and {limit:,}{' for a PNG grid' if grid else ''}, got {n}{more}")
    if not 0 <= seed < 2**63:
        raise ZooError(f"--seed must be between 0 and 2**63-1, got {seed}")
    if batch_size < 1:
        raise ZooError(f"--batch-size must be at least 1, got {batch_size}")
    check_numbers(truncation, scale)
    if scale > 1 and output is not None and not grid:
        raise ZooError("--scale enlarges PNG files: an .npz dump keeps the model's resolution for metric tools")
    if nrow is not None and nrow < 1:
        raise ZooError(f"--nrow must be at least 1, got {nrow}")
    if per_class is not None and per_class < 1:
        raise ZooError(f"--per-class must be at least 1 (images of every class), got {per_class}")
    if per_class is not None and labels:
        raise ZooError("--per-class replaces --class (it draws every class): drop one of them")
    names = split_classes(labels)
    _check_outputs(output, out_dir)

    from zoo.api import load
    from zoo.model import parse_device, parse_dtype

    handle = load(name, device=parse_device(device), dtype=parse_dtype(dtype))
    if verbose:
        click.echo(f"inference: {handle.inference_plan.describe()}", err=True)
    num_classes = getattr(handle.generator, "num_classes", 0)
    if per_class is not None:
        if not num_classes:
            raise ZooError(f"{handle.spec.name} is unconditional: --per-class needs a class-conditional model")
        names = tuple(str(index) for index in range(num_classes) for _ in range(per_class))
        n, nrow = len(names), per_class
        if n > limit:
            raise ZooError(f"--per-class {per_class} asks for {n} images, more than {limit:,}: use fewer")
    if num_classes and not names and not grid:
        names = tuple(str(i) for i in balanced_indices(n, num_classes))  # a dump covers every class evenly
    require_class_flag(handle, bool(names))
    label_list = [names[i % len(names)] for i in range(n)] if names else None
    batches = handle.sample_batches(n, seed=seed, labels=label_list, truncation=truncation, batch_size=batch_size)
    if scale > 1:
        batches = (torch_enlarge(batch, scale) for batch in batches)
    indices = handle.label_indices(n, label_list) if label_list else None
    class_names = tuple(handle.classes) if num_classes else ()
    if grid:
        assert output is not None
        rows = [_class_name(i, class_names) for i in range(num_classes)] if per_class is not None else None
        written = _write_grid(output, batches, nrow, rows, handle.generator.resolution * scale)
    elif output is not None:
        written = _write_npz(output, batches, handle, n, indices, class_names, quiet)
    else:
        assert out_dir is not None
        written = _write_files(out_dir, batches, seed, n, indices, class_names, quiet)
    summary = {"model": handle.spec.name, "n": n, "seed": seed, "output": str(written), "truncation": truncation}
    if indices is not None:
        summary["classes"] = sorted({_class_name(i, class_names) for i in indices.tolist()})
    if as_json:
        import json

        click.echo(json.dumps(summary))
    else:
        kind = "PNG files" if out_dir is not None else "images"
        click.echo(f"wrote {n} {kind} of {handle.spec.name} (seed {seed}) to {written}")


def torch_enlarge(batch, scale: int):  # type: ignore[no-untyped-def]
    """Nearest-neighbour enlargement of a uint8 (N, H, W, C) batch."""
    return batch.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)


def balanced_indices(n: int, num_classes: int) -> list[int]:
    """0, 1, …, C-1, 0, 1, …: every class within one image of n / C."""
    return [i % num_classes for i in range(n)]


def _class_name(index: int, class_names: tuple[str, ...]) -> str:
    return class_names[index] if index < len(class_names) else str(index)


def _progress(n: int, quiet: bool, what: str):  # type: ignore[no-untyped-def]
    """A progress bar on stderr (kept off with --quiet)."""
    from tqdm import tqdm

    return tqdm(total=n, disable=quiet, desc=what, unit="img", dynamic_ncols=True)


def _write_grid(output: Path, batches, nrow: int | None, rows: list[str] | None, cell: int) -> Path:  # type: ignore[no-untyped-def]
    """All images (at most MAX_CLI_SAMPLES) as one PNG grid; ``rows`` names each row (per-class grids)."""
    import torch

    from zoo.images import label_rows, make_grid, save_png

    grid = make_grid(torch.cat(list(batches)).numpy(), nrow=nrow)
    save_png(output, label_rows(grid, rows, cell) if rows else grid)
    return output


def _write_npz(output: Path, batches, handle, n: int, indices, class_names, quiet: bool) -> Path:  # type: ignore[no-untyped-def]
    """Stream the images (RGB) and labels into OUTPUT.npz, atomically."""
    from zoo.sample_dump import as_rgb, write_npz_stream

    size = handle.generator.resolution
    if handle.generator.channels == 1:
        click.echo(f"note: {handle.spec.name} is grayscale: its images are repeated to RGB in {output}", err=True)
    with _progress(n, quiet, f"sampling {handle.spec.name}") as bar:
        write_npz_stream(
            output,
            (as_rgb(batch.numpy()) for batch in batches),
            (n, size, size, 3),
            labels=None if indices is None else indices.numpy(),
            class_names=class_names,
            on_batch=bar.update,
        )
    return output


def _write_files(out_dir: Path, batches, seed: int, n: int, indices, class_names, quiet: bool) -> Path:  # type: ignore[no-untyped-def]
    """One PNG per image, named by seed, index and (conditional models) class name."""
    from zoo.images import save_png

    out_dir.mkdir(exist_ok=True)
    index = 0
    with _progress(n, quiet, "sampling") as bar:
        for batch in batches:
            for image in batch.numpy():
                suffix = "" if indices is None else "-" + file_label(_class_name(int(indices[index]), class_names))
                save_png(out_dir / f"{seed:06d}-{index:05d}{suffix}.png", image)
                index += 1
            bar.update(len(batch))
    return out_dir
