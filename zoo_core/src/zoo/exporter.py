"""``zoo export``: a generator as an ONNX file or a ``torch.export`` program, carrying the model's metadata.

Deployment runtimes (onnxruntime, TensorRT, torch's AOT tools) take a graph, not a plugin: the
exported generator maps latents ``z`` (and class indices ``y`` for conditional models) to float
images in [-1, 1], shape (N, C, H, W), with a dynamic batch size; an image-to-image generator
maps ``image`` to an image the same way. Map to pixels with ``round((x + 1) * 127.5)``, as
``zoo sample`` does. The zoo's name, family, config, class names and weights sha256 go into the
file (ONNX ``metadata_props``, or ``zoo.json`` inside the ``.pt2`` archive).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from zoo.boundary import public
from zoo.errors import ZooError
from zoo.files import atomic_path, check_output_file
from zoo.interfaces import TASK_IMAGE_TO_IMAGE

FORMATS = {".onnx": "onnx", ".pt2": "torch.export"}
OPSET = 18
OPSETS = range(17, 24)  # what torch's exporter writes here: below 17 its version converter fails and it writes 18


class _Graph(torch.nn.Module):
    """The generator in eval mode as one forward with tensors only (no None, no Python options)."""

    def __init__(self, generator: torch.nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.generator(*inputs).float()


def example_inputs(handle: Any, batch: int = 2, direction: str | None = None) -> tuple[dict[str, torch.Tensor], str]:
    """Named example inputs of the right shapes, and a one-line description of them for the metadata.

    A batch of 2, never 1: torch.export fixes a dimension whose example size is 1, so the file would take one image.
    """
    generator = handle.generator
    if handle.architecture.task == TASK_IMAGE_TO_IMAGE:
        _, _, (in_channels, _) = handle.translator(direction)
        size = int(handle.config.get("resolution", generator.resolution))
        image = torch.rand(batch, in_channels, size, size, generator=torch.Generator().manual_seed(0))
        return {"image": image}, f"image: float32 (N, {in_channels}, H, W) in [0, 1]"
    z = generator.sample_latents(batch, torch.Generator().manual_seed(0))
    inputs = {"z": z}
    described = f"z: float32 (N, {z.shape[1]}) standard normal"
    if generator.num_classes:
        inputs["y"] = torch.arange(batch) % generator.num_classes
        described += f"; y: int64 (N,) class indices 0..{generator.num_classes - 1}"
    return inputs, described


def metadata(handle: Any, described: str, direction: str | None = None) -> dict[str, str]:
    """The zoo's facts about the exported model, as strings."""
    from zoo.weights import sha256_file

    source = Path(handle.source) if handle.source and Path(handle.source).is_file() else None
    facts = {
        "zoo.name": handle.spec.name,
        "zoo.family": handle.architecture.name,
        "zoo.config": json.dumps(handle.config, sort_keys=True),
        "zoo.weights_sha256": sha256_file(source) if source else "",
        "zoo.classes": json.dumps(list(handle.classes)),
        "zoo.inputs": described,
        "zoo.output": "images: float32 (N, C, H, W) in [-1, 1]; pixels = round((x + 1) * 127.5)",
    }
    if handle.architecture.task == TASK_IMAGE_TO_IMAGE:
        _, chosen, (_, out_channels) = handle.translator(direction)
        facts["zoo.output"] = f"image: float32 (N, {out_channels}, H, W) in [0, 1]"
        facts["zoo.direction"] = chosen
    return facts


@public
def export(
    model: Any,
    output: str | os.PathLike[str],
    *,
    opset: int = OPSET,
    overwrite: bool = False,
    direction: str | None = None,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Write ``model`` (a name, run directory or ``zoo.load`` handle) to ``output``: .onnx or .pt2 (torch.export).

    An existing ``output`` is kept unless ``overwrite`` (``zoo export --force``); the ONNX file is checked to
    carry the opset asked for before it replaces anything. ``direction``: which way a two-way image-to-image
    model's file translates ('a2b' by default, or 'b2a').
    """
    from zoo.api import load
    from zoo.model import ModelHandle

    output = Path(output)
    check_output_file(output, tuple(FORMATS))
    if opset not in OPSETS:
        raise ZooError(
            f"opset must be between {OPSETS[0]} and {OPSETS[-1]} (what the ONNX exporter writes), got {opset}"
        )
    if output.exists() and not overwrite:
        raise ZooError(f"{output} already exists: pass --force (overwrite=True) to replace it, or choose another name")
    handle = model if isinstance(model, ModelHandle) else load(model)
    handle.generator.eval().float()
    image_to_image = handle.architecture.task == TASK_IMAGE_TO_IMAGE
    if direction is not None and not image_to_image:
        raise ZooError(f"{handle.spec.name} generates images from latents: --direction is for image-to-image models")
    inputs, described = example_inputs(handle, direction=direction)
    facts = metadata(handle, described, direction)
    network = handle.translator(direction)[0] if image_to_image else handle.generator
    graph = _Graph(network).eval()
    auto = torch.export.Dim.AUTO  # the exporter finds the valid sizes (e.g. multiples of 4 for a strided net)
    dynamic = {"inputs": tuple({0: auto, 2: auto, 3: auto} if image_to_image else {0: auto} for _ in inputs)}
    if say is not None:
        say(f"exporting {handle.spec.name} to {output} ({FORMATS[output.suffix.lower()]}) …")
    with torch.no_grad():
        if output.suffix.lower() == ".onnx":
            _onnx(graph, inputs, dynamic, facts, output, opset)
        else:
            program = torch.export.export(graph, tuple(inputs.values()), dynamic_shapes=dynamic)
            buffer = io.BytesIO()
            torch.export.save(program, buffer, extra_files={"zoo.json": json.dumps(facts)})
            with atomic_path(output) as tmp:
                tmp.write_bytes(buffer.getvalue())
    return output


def _onnx(graph, inputs, dynamic, facts, output: Path, opset: int) -> None:  # type: ignore[no-untyped-def]
    """ONNX through torch.onnx's exporter (it needs onnx and onnxscript: pip install zoo-core[export])."""
    try:
        import onnx
        import onnxscript  # noqa: F401 - torch.onnx's exporter imports it
    except ImportError:
        raise ZooError("ONNX export needs onnx and onnxscript: pip install 'zoo-core[export]'") from None
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            graph,
            tuple(inputs.values()),
            input_names=list(inputs),
            output_names=["images"],
            dynamic_shapes=dynamic,
            opset_version=opset,
            dynamo=True,
            optimize=True,
            verbose=False,
        )
    proto = program.model_proto
    written = next((entry.version for entry in proto.opset_import if entry.domain in ("", "ai.onnx")), None)
    if written != opset:  # the exporter falls back to its own opset when it cannot convert: never pass that off
        raise ZooError(f"the ONNX exporter wrote opset {written}, not {opset}: choose another --opset")
    for key, value in facts.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    with atomic_path(output) as tmp:
        onnx.save_model(proto, str(tmp))
