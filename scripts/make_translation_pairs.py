"""Paired training data for Pix2Pix (Isola et al. 2017) made from an image set: edges -> image, or grey -> colour.

    python scripts/make_translation_pairs.py edges ../shared/data/emoji64.npz -o edges2emoji64.npz
    python scripts/make_translation_pairs.py grey ../shared/data/celeba64.npz -o colorize_celeba64.npz

No paired set (facades, edges2shoes) can be downloaded here, so pairs are made the way the Pix2Pix paper
made some of its own: the target B is each image as it is, the input A is computed from it —

- ``edges``: black lines on white, where the Sobel gradient magnitude of the greyscale image is in its
  top ``--edge-fraction`` of pixels (the paper's edges2shoes used HED edges; a gradient threshold is the
  simple, dependency-free stand-in);
- ``grey``: the ITU-R 601 luma of the image (PIL's ``L``), the input of colourisation.

The output is a paired .npz the zoo reads for ``zoo train`` (``zoo.translation_data``): ``train_A``,
``train_B``, ``test_A``, ``test_B`` (a seeded ``--test-fraction`` held out), plus ``source`` (the input's
path and sha256 and the method), so a card can record where its data came from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

METHODS = ("edges", "grey")


def luma(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 1) uint8 greyscale of (N, H, W, C) images, as PIL's 'L' conversion computes it."""
    if images.shape[-1] == 1:
        return images
    return np.stack([np.asarray(Image.fromarray(image).convert("L")) for image in images])[..., None]


def edges(images: np.ndarray, fraction: float) -> np.ndarray:
    """(N, H, W, 1) uint8: 0 (black) on the ``fraction`` of pixels with the strongest gradient, else 255."""
    grey = luma(images)[..., 0].astype(np.float32)
    out = np.empty(grey.shape, np.uint8)
    for i, image in enumerate(grey):
        magnitude = np.hypot(ndimage.sobel(image, axis=0), ndimage.sobel(image, axis=1))
        threshold = np.quantile(magnitude, 1.0 - fraction)
        out[i] = np.where((magnitude >= threshold) & (magnitude > 0), 0, 255)
    return out[..., None]


def make_pairs(images: np.ndarray, method: str, edge_fraction: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """(A, B): the computed inputs and the images themselves (RGB, grey repeated)."""
    colour = np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images
    inputs = edges(colour, edge_fraction) if method == "edges" else luma(colour)
    return inputs, colour


def split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the train and test images: a seeded permutation, the test set its first part."""
    order = np.random.default_rng(seed).permutation(n)
    held = int(round(n * test_fraction))
    return np.sort(order[held:]), np.sort(order[:held])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=METHODS)
    parser.add_argument("data", type=Path, help="an image set the zoo reads (.npz or folder)")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--edge-fraction", type=float, default=0.12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not 0 <= args.test_fraction < 1 or not 0 < args.edge_fraction < 1:
        parser.error("--test-fraction must be in [0, 1) and --edge-fraction in (0, 1)")
    from zoo.data import load_images
    from zoo.files import write_atomically

    images, _ = load_images(args.data)
    a, b = make_pairs(images, args.method, args.edge_fraction)
    train, test = split(len(images), args.test_fraction, args.seed)
    digest = hashlib.sha256(args.data.read_bytes()).hexdigest() if args.data.is_file() else "folder"
    source = {"data": args.data.name, "sha256": digest, "method": args.method, "seed": args.seed,
              "edge_fraction": args.edge_fraction if args.method == "edges" else None,
              "script": "scripts/make_translation_pairs.py"}  # fmt: skip

    def save(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, train_A=a[train], train_B=b[train], test_A=a[test], test_B=b[test],
                     source=np.array(json.dumps(source)))  # fmt: skip

    write_atomically(args.output, save)
    print(f"wrote {args.output}: {len(train)} train and {len(test)} test pairs, A {a.shape[1:]} -> B {b.shape[1:]}")


if __name__ == "__main__":
    main()
