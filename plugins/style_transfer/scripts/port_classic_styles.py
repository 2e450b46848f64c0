"""Port the five classic fast style-transfer networks into the zoo's bundled safetensors.

The sources are the pytorch/examples ``fast_neural_style`` networks (Johnson et al. 2016) as
recovered fp16 copies (ONNX Model Zoo exports, via the ncnn copies in Baiyuetribe/ncnn-models @
1a5015b5a53237e63019b91ef46ea36c68df496c; BSD-3-Clause). Nothing about the function changes:
the tensors keep their stored dtypes (conv weights fp16, biases and instance-norm affine fp32),
only the key names move to the zoo's ``TransformerNet`` layout, and the networks' 0–255 pixels
and clamped output become the architecture options ``pixel_range: 255`` and ``output: clamp``.

A source whose sha256 differs from the pinned one is refused: the cards publish the resulting
files' sha256 and the measured faithfulness, which hold only for these exact inputs.

    python plugins/style_transfer/scripts/port_classic_styles.py [--source ../shared/weights]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TARGET = REPO / "plugins" / "style_transfer" / "src" / "zoo_style_transfer" / "weights"

SOURCES = {
    # style: (file in the source folder, its sha256, as measured when the zoo first ported it)
    "candy": (
        "fast_neural_style_candy.safetensors",
        "c42114790a92f8007c5ee6125c1854f2a17ef489689266fd20e93a2e64a2b920",
    ),
    "mosaic": (
        "fast_neural_style_mosaic.safetensors",
        "a0fbaeda9b0692797945efd70c111bacaa99678f713ab538c8a3b7ee97f9ed7e",
    ),
    "rain-princess": (
        "fast_neural_style_rain_princess.safetensors",
        "dfad4b369fcd37a6fb2e61645eb77dbab7cbe9ead384907ae0c2582b1c5b7f88",
    ),
    "udnie": (
        "fast_neural_style_udnie.safetensors",
        "a8ed3f06e367ae6249c9e3edd588adf40578c0615c96d45d44bb6a4a612fb5f2",
    ),
    "pointilism": (
        "fast_neural_style_pointilism.safetensors",
        "c9e3da0f9b6f49dbcf3c050c86d31c0057b57898380b01aa8580633a0568848a",
    ),
}
CONFIG = {"width": 32, "res_blocks": 5, "channels": 3, "resolution": 256, "pixel_range": 255.0, "output": "clamp"}
PROVENANCE = (
    "pytorch/examples fast_neural_style saved model (BSD-3-Clause), via the ONNX Model Zoo export and "
    "Baiyuetribe/ncnn-models@1a5015b5a53237e63019b91ef46ea36c68df496c fp16 copy"
)


def zoo_key(key: str) -> str:
    """pytorch/examples key -> TransformerNet key (``conv1.conv2d.weight`` -> ``down.0.0.1.weight``)."""
    rules = [
        (r"conv([123])\.conv2d\.(\w+)", lambda m: f"down.{int(m[1]) - 1}.0.1.{m[2]}"),
        (r"in([123])\.(\w+)", lambda m: f"down.{int(m[1]) - 1}.1.{m[2]}"),
        (r"res(\d)\.conv1\.conv2d\.(\w+)", lambda m: f"residual.{int(m[1]) - 1}.body.0.0.1.{m[2]}"),
        (r"res(\d)\.in1\.(\w+)", lambda m: f"residual.{int(m[1]) - 1}.body.0.1.{m[2]}"),
        (r"res(\d)\.conv2\.conv2d\.(\w+)", lambda m: f"residual.{int(m[1]) - 1}.body.1.1.{m[2]}"),
        (r"res(\d)\.in2\.(\w+)", lambda m: f"residual.{int(m[1]) - 1}.body.2.{m[2]}"),
        (r"deconv([12])\.conv2d\.(\w+)", lambda m: f"up.{int(m[1]) - 1}.conv.0.1.{m[2]}"),
        (r"in([45])\.(\w+)", lambda m: f"up.{int(m[1]) - 4}.conv.1.{m[2]}"),
        (r"deconv3\.conv2d\.(\w+)", lambda m: f"out.1.{m[1]}"),
    ]
    for pattern, rename in rules:
        match = re.fullmatch(pattern, key)
        if match:
            return rename(match)
    raise SystemExit(f"unexpected key {key!r} in the source network: is it a pytorch/examples TransformerNet?")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def port(style: str, source_dir: Path) -> Path:
    """Convert one network; refuse a source that is not the pinned file."""
    from safetensors.torch import load_file
    from zoo.weights import apply_state, save_weights
    from zoo_style_transfer.transformer import TransformerNet

    filename, expected = SOURCES[style]
    source = source_dir / filename
    if not source.is_file():
        raise SystemExit(f"{source} not found: pass --source, the folder that holds {filename}")
    actual = sha256(source)
    if actual != expected:
        raise SystemExit(f"{source} has sha256 {actual}, not the pinned {expected}: refusing to port another file")
    tensors = {zoo_key(key): value for key, value in load_file(str(source)).items()}
    apply_state(TransformerNet(**CONFIG), tensors, str(source))  # every key, shape present: fails loudly if not
    target = TARGET / f"style-transfer-{style}.safetensors"
    TARGET.mkdir(parents=True, exist_ok=True)
    metadata = {"zoo.style": style, "zoo.source": f"{PROVENANCE}: {filename} sha256 {expected}"}
    save_weights(target, tensors, family="style-transfer", config=CONFIG, metadata=metadata)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "weights")
    parser.add_argument("styles", nargs="*", help=f"any of {', '.join(SOURCES)} [default: all]")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.styles) - set(SOURCES))
    if unknown:
        parser.error(f"unknown style(s) {', '.join(unknown)}: choose from {', '.join(SOURCES)}")
    for style in args.styles or list(SOURCES):
        target = port(style, args.source)
        print(f"{style}: {target.relative_to(REPO)} sha256 {sha256(target)} size {target.stat().st_size}")


if __name__ == "__main__":
    main(sys.argv[1:])
