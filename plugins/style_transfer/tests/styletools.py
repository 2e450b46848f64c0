"""Helpers of the style-transfer tests (a unique module name: tests/conftest.py is also on sys.path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TINY_BACKBONE = "test_resnet.r160_in1k"  # timm's 0.5 M-parameter test model: the generic (non-VGG) path, fast
TINY_LAYERS = {"content_layers": ("layer2",), "style_layers": ("act1", "layer1", "layer2")}


def picture(path: Path, size: tuple[int, int] = (40, 32), seed: int = 0, mode: str = "RGB") -> Path:
    """A smooth random picture (gradients plus blobs) written as ``path``; returns the path."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
    channels = [
        np.sin(6 * xx * rng.uniform(0.5, 2) + rng.uniform(0, 6)) * np.cos(5 * yy + rng.uniform(0, 6)) for _ in range(3)
    ]
    array = ((np.stack(channels, axis=-1) + 1) * 127.5).astype(np.uint8)
    Image.fromarray(array).convert(mode).save(path)
    return path
