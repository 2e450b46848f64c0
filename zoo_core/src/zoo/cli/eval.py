"""``zoo eval``: FID, KID, IS and precision/recall of a generator, FID, KID, L1, PSNR and SSIM of a translator."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from zoo.cli.options import SEED, quiet_option, status_printer
from zoo.metrics.extractors import (
    AUTO,
    PRECISIONS,
    SQUEEZENET,
    STANDARD_INCEPTION,
    extractor_names,
)


def _format(values: dict[str, float], labels: dict[str, str]) -> list[str]:
    """One line per metric, 'mean ± std' where a std exists."""
    lines = []
    for key, value in values.items():
        if key.endswith("_std"):
            continue
        std = values.get(f"{key}_std")
        text = f"{value:.6g}" + (f" ± {std:.3g}" if std is not None else "")
        lines.append(f"{labels.get(key, key)}: {text}")
    return lines


@click.command("eval")
@click.argument("names", metavar="NAME", nargs=-1)
@click.option("--data", type=click.Path(path_type=Path), help="Real images: an .npz file or an image folder.")
@click.option(
    "--compare",
    is_flag=True,
    help="Print the metrics of the NAMEs' cards side by side, only under protocols they share; measure nothing.",
)
@click.option(
    "--metrics",
    default=None,
    help="Comma-separated metric names, e.g. fid,kid,is,pr (default fid); translators: fid,kid,l1,psnr,ssim "
    "(default: all that apply; l1, psnr and ssim need paired data).",
)
@click.option(
    "-n",
    "--num",
    "n",
    type=click.IntRange(max=2**31 - 1),
    default=10_000,
    show_default=True,
    help="Number of generated images (translators: at most this many inputs per direction).",
)
@click.option(
    "--n-real",
    type=click.IntRange(max=2**31 - 1),
    default=None,
    help="Number of real images (default: -n, or the whole split if smaller).",
)
@click.option(
    "--extractor",
    default=AUTO,
    show_default=True,
    help=f"Feature extractor: {', '.join(extractor_names())}; auto = {STANDARD_INCEPTION} where its weights "
    f"can be had (the standard FID), else the bundled {SQUEEZENET} (any size, grayscale; offline).",
)
@click.option(
    "--split",
    default=None,
    help="Split of the data used as the reference (x_SPLIT or SPLIT_jpeg; translators: testA/testB, test_A/test_B …); "
    "default train for generators, test for translators; data without splits is used whole.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the generated images.")
@click.option(
    "--batch-size", type=click.IntRange(max=4096), default=50, show_default=True, help="Images per forward pass."
)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps.")
@click.option(
    "--precision",
    default=AUTO,
    show_default=True,
    help=f"Extractor precision: auto (bf16 where native, else float32), {', '.join(PRECISIONS)}.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Also write the results to this JSON file.")
@click.option("--json", "as_json", is_flag=True, help="Print the results and protocol as JSON.")
@quiet_option
def eval_command(
    names: tuple[str, ...],
    data: Path | None,
    compare: bool,
    metrics: str | None,
    n: int,
    n_real: int | None,
    extractor: str,
    split: str | None,
    seed: int,
    batch_size: int,
    device: str,
    precision: str,
    output: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Evaluate NAME (a family, a checkpoint or a run directory) against the images in --data.

    An image-to-image model translates the held-out split of --data in every direction it has and is
    compared with the other domain (FID, KID; L1, PSNR, SSIM against the targets of paired data).
    A generator's real-data features are cached by the dataset's sha256, split, extractor and number of images.
    For a run directory the results (with their protocol) are added to RUN/metrics.json.
    With --compare: zoo eval --compare CARD CARD… tabulates published metrics instead.
    """
    if compare:
        _compare(names, as_json)
        return
    if len(names) != 1:
        raise click.UsageError(f"zoo eval takes one NAME, got {len(names)} (several only with --compare)")
    if data is None:
        raise click.UsageError("Missing option '--data': the real images to compare against")
    name = names[0]
    from zoo.hardware import prefer_huge_pages

    prefer_huge_pages()  # before evaluate_model imports torch
    from zoo.metrics.job import evaluate_model

    evaluation = evaluate_model(
        name, data, metrics, n=n, n_real=n_real, extractor=extractor, split=split, seed=seed, batch_size=batch_size,
        device=device, precision=precision, output=output, progress=not quiet, say=status_printer(quiet),
    )  # fmt: skip
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # torchrun: rank 0 reports, then every rank leaves cleanly
        if int(os.environ.get("RANK", "0")) == 0:
            _report(evaluation, name, output, as_json)
        from zoo.training.distributed import DistributedContext, exit_worker

        exit_worker(DistributedContext(world=int(os.environ["WORLD_SIZE"])))
    _report(evaluation, name, output, as_json)


def _report(evaluation, name: str, output: Path | None, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    """The values, the protocol line and the files written (or all of it as JSON)."""
    from zoo.metrics.job import written_paths
    from zoo.metrics.summary import protocol_line

    if as_json:
        click.echo(json.dumps(evaluation.as_dict(), indent=2))
        return
    for line in _format(evaluation.values, evaluation.labels):
        click.echo(line)
    protocol = protocol_line(evaluation.protocol)
    click.echo(f"protocol: {protocol}")
    card_line = _card_line(protocol, evaluation.model_sha256, evaluation.values)
    if card_line:
        click.echo(card_line)
    for path in written_paths(name, output):
        click.echo(f"wrote {path}")


def _card_line(protocol: str, weights_sha256: str, measured: dict[str, float]) -> str:
    """What the card of these weights published under this protocol, or where its protocols differ ('' if no card)."""
    from zoo.metrics.compare import against_card

    match = against_card(protocol, weights_sha256, measured)
    if match is None:
        return ""
    if match.values is None:
        return f"card {match.name}: no figures under this protocol; its closest differs in {match.closest}"
    published = ", ".join(f"{key} {value:g}" for key, value in match.values.items() if not key.endswith("_std"))
    return f"card {match.name}, same protocol: {published}"


def _compare(names: tuple[str, ...], as_json: bool) -> None:
    """Tables of the cards' metrics under each protocol they share; one line per card that shares none."""
    from zoo.metrics.compare import compare, format_table

    tables, refused = compare(names)
    if as_json:
        click.echo(json.dumps({"tables": [t.__dict__ for t in tables], "refused": refused}, indent=2))
    else:
        for index, table in enumerate(tables):
            click.echo("\n".join(([""] if index else []) + format_table(table)))
    for line in refused:
        click.echo(f"refused: {line}", err=True)
