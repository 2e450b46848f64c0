"""How closely the bundled classic style networks reproduce pytorch/examples' published outputs.

pytorch/examples @ 77f55b9 publishes ``amber.jpg`` (1080×1080) and its four saved networks' outputs
on it (``amber-{candy,mosaic,rain-princess,udnie}.jpg``). Each bundled network is run on that photo
through ``zoo.load(NAME)`` and compared in 0–255 with the reference: pixel correlation and mean
absolute difference, in fp32 compute, bf16 autocast (+ channels-last, the fast path of ``zoo
stylize --dtype bfloat16``) and fp16 compute (the bundled precision of the conv weights).
A faithful port reaches correlation ≥ 0.98 and a mean difference ≤ 9 grey levels. pointilism has no
published output: its bf16 and fp16 pictures are compared with its own fp32 picture instead.

Needs the reference folder, which the project does not ship (``../shared`` on the build machine):
    python benchmarks/check_style_faithfulness.py [--reference ../shared/data/style_images/reference]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import zoo
from PIL import Image

STYLES = ("candy", "mosaic", "rain-princess", "udnie", "pointilism")
MIN_CORRELATION, MAX_MEAN_DIFF = 0.98, 9.0


def stylise(handle: zoo.ModelHandle, photo: torch.Tensor, precision: str) -> np.ndarray:
    """The network's picture in 0–255 (uint8 by truncation, as pytorch/examples saves it)."""
    net = handle.generator
    with torch.inference_mode():
        if precision == "float16":
            out = net.half()(photo.half()).float()
            net.float()
        elif precision == "bfloat16":
            net.to(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = net(photo.contiguous(memory_format=torch.channels_last)).float()
            net.to(memory_format=torch.contiguous_format)
        else:
            out = net(photo)
    return (out[0].permute(1, 2, 0).numpy() * 255.0).clip(0, 255).astype(np.uint8)


def compare(ours: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(pixel correlation, mean absolute difference in grey levels) over every channel value."""
    a, b = ours.astype(np.float64).ravel(), reference.astype(np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1]), float(np.abs(a - b).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "style_images" / "reference"
    parser.add_argument("--reference", type=Path, default=default)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    photo_image = Image.open(args.reference / "amber.jpg").convert("RGB")
    photo = torch.from_numpy(np.asarray(photo_image).copy()).permute(2, 0, 1)[None].float() / 255.0
    print(f"amber.jpg {photo_image.size[0]}x{photo_image.size[1]}, torch {torch.__version__}, {args.threads} threads")
    print(f"{'style':14s} {'precision':10s} {'correlation':>11s} {'mean |diff|':>11s}  verdict")
    failures, figures = 0, {}
    for style in STYLES:
        handle = zoo.load(f"style-transfer-{style}")
        published = args.reference / f"amber-{style}.jpg"
        if published.is_file():
            reference, precisions = np.asarray(Image.open(published).convert("RGB")), ("float32", "bfloat16", "float16")
        else:
            reference, precisions = stylise(handle, photo, "float32"), ("bfloat16", "float16")
            print(f"{style}: no published output; bf16 and fp16 against this network's fp32 picture")
        for precision in precisions:
            correlation, diff = compare(stylise(handle, photo, precision), reference)
            ok = correlation >= MIN_CORRELATION and diff <= MAX_MEAN_DIFF
            failures += precision == "float32" and not ok
            figures.setdefault(style, {})[precision] = {"correlation": correlation, "mean_abs_diff": diff}
            print(f"{style:14s} {precision:10s} {correlation:11.4f} {diff:11.2f}  {'ok' if ok else 'BELOW THE BAR'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
