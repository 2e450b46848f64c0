"""Turning generator output into pictures people can open: uint8 arrays, grids, PNG files."""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import numpy as np

from zoo.files import atomic_path

if TYPE_CHECKING:
    import torch


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Map (N, C, H, W) floats in [-1, 1] to (N, H, W, C) uint8, rounding to nearest."""
    scaled = (images.detach().float().clamp(-1, 1) + 1) * 127.5
    return scaled.round().to(dtype=__import__("torch").uint8).permute(0, 2, 3, 1).cpu()


def make_grid(images: np.ndarray, nrow: int | None = None, padding: int = 2, fill: int = 255) -> np.ndarray:
    """Tile (N, H, W, C) uint8 images into one (H', W', C) image, ``nrow`` images per row."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = np.full((rows * (h + padding) + padding, nrow * (w + padding) + padding, c), fill, dtype=np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // nrow) * (h + padding)
        left = padding + (index % nrow) * (w + padding)
        grid[top : top + h, left : left + w] = image
    return grid


def label_rows(grid: np.ndarray, labels: list[str], cell: int, padding: int = 2) -> np.ndarray:
    """``grid`` with a white column on its left naming each row (per-class grids: which row is which class)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    width = max(int(font.getlength(label)) for label in labels) + 2 * padding + 4
    canvas = Image.new("RGB", (grid.shape[1] + width, grid.shape[0]), "white")
    rgb = np.repeat(grid, 3, axis=2) if grid.shape[2] == 1 else grid
    canvas.paste(Image.fromarray(rgb), (width, 0))
    draw = ImageDraw.Draw(canvas)
    for row, label in enumerate(labels):
        middle = padding + row * (cell + padding) + cell // 2
        draw.text((width - padding - 2, middle), label, fill="black", font=font, anchor="rm")
    labelled = np.asarray(canvas)
    return labelled[:, :, :1] if grid.shape[2] == 1 else labelled


def save_png(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write one (H, W, C) uint8 image as PNG, atomically."""
    from PIL import Image

    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
