"""``zoo stylize`` and ``zoo train style-transfer`` (the core's ``zoo train`` hands its arguments here)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
from zoo.cli.options import FINITE, SEED, LazyHelpOption, quiet_option, verbose_option

BACKBONE_HELP = (
    "The perceptual losses' features: a timm model name (VGG layers as relu4_2 etc.) or squeezenet1_1 "
    "(ImageNet SqueezeNet 1.1, bundled) "
    "A Hub backbone must be pinned: NAME@COMMIT:SHA256 (commit and sha256 of its model.safetensors) "
    "[default: vgg19.tv_in1k where pinned, else squeezenet1_1]."
)
WEIGHT_HELP = "[default: the backbone's: {vgg} for VGG19, {squeeze} for squeezenet1_1]"
LAYERS_HELP = "Comma-separated layer names (VGG aliases like relu3_1, or module names)."


def _layers(value: str | None) -> tuple[str, ...] | None:
    """'relu1_1, relu2_1' -> ('relu1_1', 'relu2_1'); None keeps the backbone's defaults."""
    if value is None:
        return None
    from zoo.arguments import comma_list

    return tuple(comma_list(value, "the layer list", "relu1_1,relu2_1"))


def _style_help() -> str:
    """--style's help, from the registry when --help is shown: every installed style, none listed by hand."""
    from zoo_style_transfer.api import published_styles

    styles = ", ".join(sorted(published_styles())) or "none installed"
    return f"A published style ({styles}), a run of 'zoo train style-transfer', or a style image (optimisation)."


def _feature_options(function):  # type: ignore[no-untyped-def]
    """Options shared by both commands: the feature network and the loss weights."""
    options = [
        click.option("--backbone", default=None, help=BACKBONE_HELP),
        click.option("--content-layers", default=None, help=LAYERS_HELP + " [default: relu4_2 for VGG]"),
        click.option("--style-layers", default=None, help=LAYERS_HELP + " [default: relu1_1..relu5_1 for VGG]"),
        click.option(
            "--random-backbone",
            is_flag=True,
            help="Random feature weights instead of ImageNet's (for tests: the result is not a stylisation).",
        ),
        click.option("--content-weight", type=FINITE, default=None, help=WEIGHT_HELP.format(vgg=1, squeeze=1)),
        click.option("--style-weight", type=FINITE, default=None, help=WEIGHT_HELP.format(vgg="1e5", squeeze="1e3")),
        click.option(
            "--tv-weight",
            type=FINITE,
            default=None,
            help="Total variation. " + WEIGHT_HELP.format(vgg="1e-5", squeeze="1e-2"),
        ),
        click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N or mps."),
        quiet_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.command("stylize")
@click.argument("content", type=click.Path(path_type=Path))
@click.option("--style", cls=LazyHelpOption, required=True, help_text=_style_help)
@click.option("--method", type=click.Choice(["fast", "optimize"]), default=None, help="Default: fast for networks.")
@click.option(
    "--size",
    type=click.IntRange(max=16_384),
    default=None,
    help="Longest side of the output [default: the content's, capped].",
)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Where to write the PNG.")
@click.option(
    "--dtype",
    type=click.Choice(["auto", "float32", "bfloat16"]),
    default="auto",
    show_default=True,
    help="fast: auto is the fastest path here (bf16 only where native); float32 plain eager; bfloat16 autocast.",
)
@click.option(
    "--steps", type=click.IntRange(max=100_000), default=300, show_default=True, help="optimize: descent steps."
)
@click.option(
    "--optimizer",
    type=click.Choice(["lbfgs", "adam"]),
    default=None,
    help="optimize: [default: lbfgs for VGG (Gatys et al.), adam for squeezenet1_1]",
)
@click.option("--lr", type=FINITE, default=None, help="optimize: step size [default: 1.0 L-BFGS, 0.02 Adam].")
@click.option("--init", type=click.Choice(["content", "noise"]), default="content", show_default=True)
@click.option(
    "--seed",
    type=SEED,
    default=0,
    show_default=True,
    help="optimize: noise init and --random-backbone.",
)
@verbose_option
@_feature_options
def stylize_command(
    content: Path,
    style: str,
    method: str | None,
    size: int | None,
    output: Path,
    dtype: str,
    steps: int,
    optimizer: str | None,
    lr: float | None,
    init: str,
    seed: int,
    backbone: str | None,
    content_layers: str | None,
    style_layers: str | None,
    random_backbone: bool,
    content_weight: float | None,
    style_weight: float | None,
    tv_weight: float | None,
    device: str,
    quiet: bool,
    verbose: bool,
) -> None:
    """Stylise the CONTENT photo and write a PNG (same size as the content unless --size or the cap says)."""
    from zoo.files import check_output_file

    check_output_file(output)
    from zoo.files import atomic_path

    from zoo_style_transfer.api import stylize
    from zoo_style_transfer.loss_weights import LossWeights
    from zoo_style_transfer.optimize import OptimizeSettings

    weights = LossWeights(content_weight, style_weight, tv_weight)
    settings = OptimizeSettings(steps=steps, optimizer=optimizer, lr=lr, init=init, weights=weights, seed=seed)
    result = stylize(
        content,
        style,
        method=method,
        size=size,
        device=device,
        dtype=dtype,
        backbone=backbone,
        content_layers=_layers(content_layers),
        style_layers=_layers(style_layers),
        pretrained_backbone=not random_backbone,
        settings=settings,
        progress=not quiet,
        on_note=lambda note: click.echo(f"note: {note}", err=True),  # as soon as known, not after the run
    )
    if verbose and result.inference:
        click.echo(f"inference: {result.inference}", err=True)
    with atomic_path(output) as tmp:
        result.image.save(tmp, format="PNG")
    loss = f"; loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g}" if result.losses else ""
    click.echo(f"wrote {output} ({result.image.size[0]}x{result.image.size[1]}){loss}")


@click.command("style-transfer")
@click.option("--style", required=True, type=click.Path(path_type=Path), help="The style image.")
@click.option("--data", required=True, type=click.Path(path_type=Path), help="A folder of content photos (COCO).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run directory (must not hold a run).")
@click.option("--steps", type=click.IntRange(1, 10**8), default=40_000, show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 1024), default=4, show_default=True)
@click.option(
    "--image-size", type=click.IntRange(16, 4096), default=256, show_default=True, help="Square training crops."
)
@click.option(
    "--style-size",
    type=click.IntRange(16, 16_384),
    default=512,
    show_default=True,
    help="Longest side of the style image.",
)
@click.option("--lr", type=FINITE, default=1e-3, show_default=True)
@click.option(
    "--width", type=click.IntRange(1, 1024), default=32, show_default=True, help="Channels of the first conv."
)
@click.option("--res-blocks", type=click.IntRange(0, 64), default=5, show_default=True)
@click.option("--save-every", type=click.IntRange(1, 10**8), default=1000, show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@_feature_options
def train_command(
    style: Path,
    data: Path,
    out: Path,
    steps: int,
    batch_size: int,
    image_size: int,
    style_size: int,
    lr: float,
    width: int,
    res_blocks: int,
    save_every: int,
    seed: int,
    backbone: str | None,
    content_layers: str | None,
    style_layers: str | None,
    random_backbone: bool,
    content_weight: float | None,
    style_weight: float | None,
    tv_weight: float | None,
    device: str,
    quiet: bool,
) -> None:
    """Train a fast style network on a folder of content photos (Johnson et al. 2016)."""
    from zoo.files import check_run_dir
    from zoo.model import parse_device

    from zoo_style_transfer.loss_weights import LossWeights
    from zoo_style_transfer.train import TrainSettings, train

    check_run_dir(out)
    settings = TrainSettings(
        style=str(style),
        data=str(data),
        steps=steps,
        batch_size=batch_size,
        image_size=image_size,
        style_size=style_size,
        lr=lr,
        weights=LossWeights(content_weight, style_weight, tv_weight),
        backbone=backbone,
        content_layers=_layers(content_layers),
        style_layers=_layers(style_layers),
        pretrained_backbone=not random_backbone,
        width=width,
        res_blocks=res_blocks,
        seed=seed,
        save_every=save_every,
    )
    command = shlex.join(["zoo", *sys.argv[1:]])
    weights = train(settings, out, device=str(parse_device(device)), progress=not quiet, command=command)
    click.echo(f"trained {steps} steps; stylise with: zoo stylize PHOTO --style {out} -o out.png ({weights})")
