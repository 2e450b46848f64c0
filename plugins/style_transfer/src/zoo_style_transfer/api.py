"""``stylize``, ``zoo stylize`` in Python: one content photo + a style (a published name, a trained run, or a
style image) -> a picture. Users import it as ``from zoo_style_transfer import stylize``.

Fast: a trained TransformerNet (a published style or a run directory), one forward pass.
Optimise: Gatys et al. from a style image, a few hundred descent steps through the feature network.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.boundary import public
from zoo.errors import ZooError

if TYPE_CHECKING:
    from PIL import Image

    from zoo_style_transfer.optimize import OptimizeSettings

STYLES = ("candy", "mosaic", "pointilism", "rain-princess", "udnie")
"""The classic styles of pytorch/examples and the ONNX Model Zoo (bundled); checkpoints are 'style-transfer-<style>'."""
FAMILY = "style-transfer"
METHODS = ("fast", "optimize")
DTYPES = (None, "auto", "float32", "bfloat16")
"""fast: bf16 autocast where the device has it; float16 is not offered (CPU autocast has few fp16 kernels)."""
DEFAULT_CAP = {"fast": 2048, "optimize": 512}  # fast: a 2048 px picture needs about 1.5 GB in fp32
"""Longest side when no --size is given: bigger content is shrunk to it (and the user is told)."""
MIN_SIDE = 16


@dataclass
class Style:
    """What ``--style`` named: a checkpoint or run for the fast method, or an image for optimisation."""

    kind: str  # "network" or "image"
    ref: str


@dataclass
class Result:
    """The stylised picture, what happened to the input, and the loss curve of an optimisation."""

    image: Image.Image
    notes: list[str] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    inference: str = ""  # fast: how the network ran (precision, layout, why), as zoo sample --verbose says


def published_styles() -> dict[str, str]:
    """Style name -> checkpoint name for every registered style-transfer checkpoint, any plugin's (torch-free)."""
    from zoo.registry import get_registry

    return {
        name.removeprefix(f"{FAMILY}-"): name
        for name, spec in get_registry().checkpoints.items()
        if spec.family == FAMILY
    }


def resolve_style(style: str) -> Style:
    """A style name, a run directory / .safetensors file (fast), or an image file (optimise)."""
    styles = published_styles()
    if style in styles:
        return Style("network", styles[style])
    if style in styles.values():
        return Style("network", style)
    path = Path(style)
    if path.is_dir() or path.suffix == ".safetensors":
        weights = path / "model.safetensors" if path.is_dir() else path
        if not weights.exists():
            raise ZooError(f"style {style!r}: no trained network there (model.safetensors is missing)")
        _check_family(style, weights, styles)
        return Style("network", str(path.resolve()))  # absolute: zoo.load reads a bare 'run' as a model name
    if path.exists():
        return Style("image", str(path))
    if path.suffix or "/" in style or "\\" in style:
        raise ZooError(f"style file {style!r} does not exist: check the path")
    names = ", ".join(sorted(styles) or STYLES)
    raise ZooError(f"unknown style {style!r}: choose one of {names}, or give a style image or a trained run directory")


def _check_family(style: str, weights: Path, styles: dict[str, str]) -> None:
    """Refuse weights of another family (a GAN run) before they are fed a photo they cannot take."""
    from zoo.weights import read_config

    family, _ = read_config(weights)
    if family is not None and family != FAMILY:
        names = ", ".join(sorted(styles) or STYLES)
        raise ZooError(
            f"style {style!r} is a {family} generator, not a style-transfer network: --style takes a published style "
            f"({names}), a run of 'zoo train style-transfer', or a style image"
        )


def _content(path: str | Path, size: int | None, method: str) -> tuple[Image.Image, list[str]]:
    """The content picture at the working size, with notes about capping, rotation, conversion."""
    from zoo.image_io import open_image, resize_longest

    if size is not None and not MIN_SIDE <= size <= 4096:
        raise ZooError(f"--size must be between {MIN_SIDE} and 4096 pixels, got {size}")
    loaded = open_image(path, max_side=size or DEFAULT_CAP[method], what="content image")
    image = resize_longest(loaded.image, size) if size else loaded.image
    if min(image.size) < MIN_SIDE:
        raise ZooError(f"content image is {image.size[0]}x{image.size[1]}: at least {MIN_SIDE} px a side is needed")
    # With --size the user chose the scale: only say what else happened (rotation, conversion).
    notes = [note for note in loaded.notes if not size or "size cap" not in note]
    return image, notes


@public
def stylize(
    content: str | Path,
    style: str | os.PathLike[str],
    *,
    method: str | None = None,
    size: int | None = None,
    device: str = "cpu",
    dtype: str | None = None,
    backbone: str | None = None,
    content_layers: tuple[str, ...] | None = None,
    style_layers: tuple[str, ...] | None = None,
    pretrained_backbone: bool = True,
    settings: OptimizeSettings | None = None,
    progress: bool = True,
    on_note: Callable[[str], None] | None = None,
) -> Result:
    """Stylise ``content`` with ``style``; ``method`` defaults to fast for networks and optimize for images.

    ``on_note`` hears each note (size cap, rotation, the backbone used) when it is known, before the
    work starts, so a long optimisation never hides what it is doing; ``Result.notes`` keeps them all.
    """
    say = on_note or (lambda _note: None)
    if settings is not None:  # its class lives with torch, so the boundary cannot read its hint: check it here
        from zoo_style_transfer.optimize import OptimizeSettings

        if not isinstance(settings, OptimizeSettings):
            raise ZooError(f"settings must be an OptimizeSettings, got {type(settings).__name__}")
    resolved = resolve_style(os.fspath(style))
    method = method or ("fast" if resolved.kind == "network" else "optimize")
    if method not in METHODS:
        raise ZooError(f"unknown method {method!r}: choose fast or optimize")
    if method == "fast" and resolved.kind == "image":
        raise ZooError(
            f"--method fast needs a network trained on {style!r}: train one with "
            f"'zoo train style-transfer --style {style} --data CONTENT_DIR --out RUN' or use --method optimize"
        )
    if method == "optimize" and resolved.kind == "network":
        raise ZooError(f"--method optimize needs a style image, and {style!r} is a trained network: give an image path")
    if dtype not in DTYPES:
        raise ZooError(f"unknown dtype {dtype!r}: choose auto, float32 or bfloat16 (the fast method's autocast)")
    if method == "optimize" and dtype == "bfloat16":
        raise ZooError("--dtype bfloat16 applies to the fast method only: optimisation runs in float32")
    image, notes = _content(content, size, method)
    for note in notes:
        say(note)
    if method == "fast":
        picture, how = _fast(image, resolved.ref, device, dtype)
        return Result(picture, notes, inference=how)
    return _optimize(
        image,
        resolved.ref,
        notes,
        device,
        backbone,
        content_layers,
        style_layers,
        pretrained_backbone,
        settings,
        progress,
        say,
    )


def _fast(image: Image.Image, network: str, device: str, dtype: str | None) -> tuple[Image.Image, str]:
    """One forward pass and how it ran: auto and float32 are the handle's plans (zoo.inference); bfloat16 autocast."""
    import torch
    import zoo
    from zoo.image_io import to_pil, to_tensor

    handle = zoo.load(network, device=device, dtype="float32" if dtype == "float32" else None)
    if dtype != "bfloat16":
        return handle.translate(image), handle.inference_plan.describe()
    x = to_tensor(image).to(handle.device)
    # measured 1.49x fp32 eager on an AMX Xeon (1.52x without channels-last)
    handle.generator.to(memory_format=torch.channels_last)
    with torch.no_grad(), torch.autocast(handle.device.type, dtype=torch.bfloat16):
        picture = to_pil(handle.generator(x.contiguous(memory_format=torch.channels_last)).float())
    return picture, "bf16 autocast over float32 weights, channels-last (as asked)"


def learn_style(
    content: Image.Image, style: Image.Image, *, steps: int, on_step: Callable[[int, int], None] | None = None
) -> Image.Image:
    """The stylizer this plugin registers (``register_stylizers``): Gatys optimisation of two pictures, for apps.

    Pictures in, picture out, with the defaults of ``zoo stylize photo --style image`` (the feature network
    that works offline) and ``on_step(done, total)`` after each of the ``steps`` descent steps.
    """
    from zoo_style_transfer.optimize import OptimizeSettings

    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ZooError(f"steps must be a positive integer, got {steps!r}")
    if min(content.size) < MIN_SIDE:
        raise ZooError(f"content image is {content.size[0]}x{content.size[1]}: at least {MIN_SIDE} px a side is needed")
    settings = OptimizeSettings(steps=steps)
    result = _optimize(
        content.convert("RGB"), style, [], "cpu", None, None, None, True, settings, False, lambda _note: None, on_step
    )
    return result.image


def _optimize(
    image, style_path, notes, device, backbone, content_layers, style_layers, pretrained, settings, progress, say,
    on_step=None,
):  # type: ignore[no-untyped-def]  # fmt: skip
    """Gatys et al. with the style image at the content's working size."""
    import torch
    from zoo.image_io import open_image, to_pil, to_tensor
    from zoo.model import parse_device

    from zoo_style_transfer.features import feature_net
    from zoo_style_transfer.losses import PerceptualLoss
    from zoo_style_transfer.optimize import OptimizeSettings, optimize

    settings = settings or OptimizeSettings()
    settings.check()
    target = parse_device(device)
    style = open_image(style_path, max_side=max(image.size), what="style image")
    if min(style.image.size) < MIN_SIDE:
        width, height = style.image.size
        raise ZooError(f"style image is {width}x{height}: at least {MIN_SIDE} px a side is needed")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)  # a random backbone (--random-backbone) is the same for the same seed
        features, fallback = feature_net(backbone, content_layers, style_layers, pretrained=pretrained)
    more = ([fallback] if fallback else []) + [f"style {n}" for n in style.notes if "size cap" not in n]
    for note in more:
        say(note)  # before the optimisation, which may take minutes
    loss = PerceptualLoss(features.to(target), to_tensor(style.image).to(target), settings.weights)
    result, history = optimize(to_tensor(image).to(target), loss, settings, progress=progress, on_step=on_step)
    return Result(to_pil(result), notes + more, history)
