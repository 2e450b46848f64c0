"""Training data for image-to-image translation: paired (Pix2Pix) or unpaired two-domain (CycleGAN) images.

Formats, all decoded by the one guarded decoder (``zoo.image_io.decode_image``):

- paired: an .npz with arrays ``A`` and ``B`` (row i of A goes with row i of B; ``{split}_A`` / ``{split}_B``
  for splits; raw uint8 or ``_jpeg`` + ``_offsets`` members); a folder with ``A/`` and ``B/`` holding files
  of the same names; a folder of side-by-side images, input on the left and target on the right, as
  Pix2Pix's own datasets come (facades, edges2shoes);
- unpaired: CycleGAN's layout, ``trainA`` / ``trainB`` (``testA`` / ``testB``), as sub-folders or as .npz
  members (``trainA_jpeg`` + ``trainA_offsets`` …, as ``horse2zebra128.npz``).

The files are read through ``zoo.translation_sources``, image by image: ``load_translation_data`` reads
them whole (training in memory, evaluation), the streamed trainer a batch at a time, so both see the
same images. ``augment_pair`` is the papers' augmentation (Isola et al. 2017, Zhu et al. 2017): resize to a load size,
random crop to the training size, random horizontal flip — the same crop and flip for both images of
a pair, drawn from a ``torch.Generator`` so a run's batches stay a function of (seed, step, rank).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zoo.data_formats import WHOLE, open_npz
from zoo.errors import ZooError
from zoo.sources import CompressedMember
from zoo.translation_sources import (
    PAIRED,
    UNPAIRED,
    ArraySource,
    TranslationSources,
    folder_images,
    open_translation_sources,
)

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class TranslationData:
    """Both sides of a translation dataset as uint8 (N, H, W, C) arrays; ``paired``: a[i] goes with b[i]."""

    a: np.ndarray
    b: np.ndarray
    layout: str  # PAIRED or UNPAIRED
    split: str
    source: str  # how the files were read, for messages and the run's records

    @property
    def paired(self) -> bool:
        return self.layout == PAIRED


def _stacked(images: list[np.ndarray], where: str) -> np.ndarray:
    """One (N, H, W, C) array of decoded images, which must share one size."""
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ZooError(f"{where}: images have different sizes {sorted(shapes)[:3]}: resize them to one size first")
    return np.stack(images)


def _read_sides(sources: TranslationSources) -> tuple[np.ndarray, np.ndarray]:
    """Every image of both sides; a pair is read together (a side-by-side file decoded once)."""
    a, b = sources.a, sources.b
    if isinstance(a, ArraySource) and isinstance(b, ArraySource):
        return a.images, b.images
    if sources.paired:
        pairs = [sources.read_pair(i, i) for i in range(len(a))]
        return _stacked([p[0] for p in pairs], a.spec), _stacked([p[1] for p in pairs], b.spec)
    return _stacked([a.read(i) for i in range(len(a))], a.spec), _stacked([b.read(i) for i in range(len(b))], b.spec)


def translation_splits(path: str | os.PathLike[str]) -> dict[str, str]:
    """The splits a translation dataset holds and their layouts (PAIRED / UNPAIRED), from names alone.

    What ``load_translation_data`` would read, no image decoded: A/ + B/ folders win over everything
    else (WHOLE, used for any split), then {split}A/ + {split}B/ folders, then side-by-side images (a
    sub-folder per split, top-level ones WHOLE); an .npz's A + B are WHOLE, {split}_A + {split}_B and
    {split}A + {split}B its splits.
    """
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    if path.is_dir():
        if (path / "A").is_dir() and (path / "B").is_dir():
            return {WHOLE: PAIRED}
        dirs = {p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")}
        domains = sorted(n[:-1] for n in dirs if len(n) > 1 and n.endswith("A") and f"{n[:-1]}B" in dirs)
        if domains:
            return dict.fromkeys(domains, UNPAIRED)
        side_by_side = sorted(n for n in dirs if folder_images(path / n))
        return dict.fromkeys(([WHOLE] if folder_images(path) else []) + side_by_side, PAIRED)
    with open_npz(path) as archive:
        keys = set(archive.files)
    names = {k.removesuffix("_jpeg").removesuffix("_offsets") for k in keys}
    sides = {n for n in names if n in keys or {f"{n}_jpeg", f"{n}_offsets"} <= keys}
    splits = {WHOLE: PAIRED} if {"A", "B"} <= sides else {}
    for name in sorted(sides):
        if name.endswith("_A") and len(name) > 2 and f"{name[:-2]}_B" in sides:
            splits.setdefault(name[:-2], PAIRED)
        elif name.endswith("A") and not name.endswith("_A") and len(name) > 1 and f"{name[:-1]}B" in sides:
            splits.setdefault(name[:-1], UNPAIRED)
    return splits


def load_translation_data(path: str | os.PathLike[str], split: str = "train") -> TranslationData:
    """Both sides of a translation dataset (see the module docstring for the formats), checked and decoded.

    ``split`` WHOLE ('all') reads data without splits: an .npz's A and B, or top-level side-by-side images.
    The sources are the streamed loader's, read whole, so both give the same images.
    """
    path = Path(path)
    sources = open_translation_sources(path, split, lazy=False)
    a, b = _read_sides(sources)
    if sources.paired and a.shape[1:3] != b.shape[1:3]:
        raise ZooError(f"{path}: paired images differ in size ({a.shape[1:3]} vs {b.shape[1:3]}): make them match")
    return TranslationData(a, b, sources.layout, sources.split, sources.source)


def translation_channels(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(A's channels, B's channels) of a translation dataset's training split, 1 (grey) or 3, from its first images.

    Read lazily, so a dataset too large for memory is not decoded whole just to be counted.
    """
    try:
        sources = open_translation_sources(path, "train")
    except CompressedMember:  # np.savez_compressed: only readable whole
        data = load_translation_data(path, "train")
        return data.a.shape[-1], data.b.shape[-1]
    a, b = sources.read_pair(0, 0)
    return a.shape[-1], b.shape[-1]


def augment_pair(
    a: torch.Tensor,
    b: torch.Tensor | None,
    generator: torch.Generator,
    *,
    load_size: int,
    crop_size: int,
    flip: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Resize (N, C, H, W) batches to ``load_size``, crop ``crop_size`` at one random place, maybe flip.

    Each image of the batch draws its own crop and flip; the image at the same index of ``b`` (its pair)
    gets the same ones. Unpaired data augments each side with its own call.
    """
    import torch
    from torch.nn import functional as F

    if not 1 <= crop_size <= load_size:
        raise ZooError(f"the crop size {crop_size} must be between 1 and the load size {load_size}")

    def resized(x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) == (load_size, load_size):
            return x
        return F.interpolate(x, size=(load_size, load_size), mode="bicubic", align_corners=False, antialias=True)

    a = resized(a)
    b = resized(b) if b is not None else None
    n, span = a.shape[0], load_size - crop_size + 1
    tops = torch.randint(0, span, (n,), generator=generator).tolist()
    lefts = torch.randint(0, span, (n,), generator=generator).tolist()
    flips = (torch.rand(n, generator=generator) < 0.5).tolist() if flip else [False] * n

    def cropped(x: torch.Tensor) -> torch.Tensor:
        parts = []
        for i, (top, left, flipped) in enumerate(zip(tops, lefts, flips, strict=True)):
            part = x[i, :, top : top + crop_size, left : left + crop_size]
            parts.append(part.flip(-1) if flipped else part)
        return torch.stack(parts)

    return cropped(a), (cropped(b) if b is not None else None)
