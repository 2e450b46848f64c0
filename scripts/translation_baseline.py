"""The number a paired translator must beat: L1, PSNR and SSIM of each input image itself against its target.

    python scripts/translation_baseline.py colorize_celeba64.npz --split test

An input with fewer channels than its target (greyscale -> colour) is repeated to the target's channels, so the
baseline of colourisation is "leave it grey". Measured exactly as ``zoo eval`` measures translations
(``zoo.metrics.paired``: uint8 images, L1 on the 0-1 scale, PSNR with data range 255, SSIM of Wang et al. 2004).
"""

from __future__ import annotations

import argparse

import torch
from zoo.metrics.paired import l1, psnr, ssim
from zoo.translation_data import load_translation_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="paired translation data (an .npz or a folder zoo train reads)")
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    data = load_translation_data(args.data, args.split)
    if not data.paired:
        raise SystemExit(f"{args.data} is not paired: a baseline needs each input's own target")
    a = torch.from_numpy(data.a).permute(0, 3, 1, 2)
    b = torch.from_numpy(data.b).permute(0, 3, 1, 2)
    if a.shape[1] != b.shape[1]:
        a = a.expand(-1, b.shape[1], -1, -1)  # grey repeated to colour
    print(
        f"{args.data} ({args.split}, {len(a)} pairs), input as its own translation: "
        f"L1 {float(l1(a, b).mean()):.4f}, PSNR {float(psnr(a, b).mean()):.2f} dB, SSIM {float(ssim(a, b).mean()):.4f}"
    )


if __name__ == "__main__":
    main()
