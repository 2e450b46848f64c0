"""Training data for image-to-image translation: paired (Pix2Pix) or unpaired two-domain (CycleGAN) images.

Formats, all decoded by the one guarded decoder (``zoo.image_io.decode_image``):

- paired: an .npz with arrays ``A`` and ``B`` (row i of A goes with row i of B; ``{split}_A`` / ``{split}_B``
  for splits; raw uint8 or ``_jpeg`` + ``_offsets`` members); a folder with ``A/`` and ``B/`` holding files
  of the same names; a folder of side-by-side images, input on the left and target on the right, as
  Pix2Pix's own datasets come (facades, edges2shoes);
- unpaired: CycleGAN's layout, ``trainA`` / ``trainB`` (``testA`` / ``testB``), as sub-folders or as .npz
  members (``trainA_jpeg`` + ``trainA_offsets`` …, as ``horse2zebra128.npz``).

``augment_pair`` is the papers' augmentation (Isola et al. 2017, Zhu et al. 2017): resize to a load size,
random crop to the training size, random horizontal flip — the same crop and flip for both images of
a pair, drawn from a ``torch.Generator`` so a run's batches stay a function of (seed, step, rank).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zoo.data import load_split
from zoo.data_formats import IMAGE_SUFFIXES, WHOLE, check_image_shape, image_files, open_npz
from zoo.errors import ZooError
from zoo.image_io import decode_image

if TYPE_CHECKING:
    import torch

PAIRED, UNPAIRED = "paired", "unpaired"


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


def _check(images: np.ndarray, where: str) -> np.ndarray:
    """uint8 (N, H, W, C) with C of 1 or 3; grey (N, H, W) gains its channel axis."""
    if images.dtype != np.uint8:
        raise ZooError(f"{where}: images must be uint8 (0-255), found {images.dtype}")
    check_image_shape(where, images.shape)
    return images if images.ndim == 4 else images[..., None]


def _npz_side(path: Path, keys: set[str], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` the archive holds as raw images or as JPEG bytes with offsets."""
    return next((n for n in names if n in keys or {f"{n}_jpeg", f"{n}_offsets"} <= keys), None)


def _from_npz(path: Path, split: str) -> TranslationData:
    """A paired (A/B) or unpaired (trainA/trainB) .npz."""
    with open_npz(path) as archive:
        keys = set(archive.files)
    paired = (("A", "B") if split in ("train", WHOLE) else ()) + (f"{split}_A", f"{split}_B")
    a_key = _npz_side(path, keys, paired[0::2])
    b_key = _npz_side(path, keys, paired[1::2])
    if a_key and b_key:
        a, b = _npz_images(path, a_key), _npz_images(path, b_key)
        if len(a) != len(b):
            raise ZooError(f"{path}: paired arrays {a_key} ({len(a)}) and {b_key} ({len(b)}) differ in length")
        return TranslationData(a, b, PAIRED, split, f"{path} ({a_key}, {b_key})")
    a_key, b_key = _npz_side(path, keys, (f"{split}A",)), _npz_side(path, keys, (f"{split}B",))
    if a_key and b_key:
        a, b = _npz_images(path, a_key), _npz_images(path, b_key)
        return TranslationData(a, b, UNPAIRED, split, f"{path} ({a_key}, {b_key})")
    found = ", ".join(sorted(keys)) or "none"
    raise ZooError(
        f"{path} holds no translation data for split {split!r} (its keys: {found}): save pairs as A and B "
        f"(or {split}_A, {split}_B), or two domains as {split}A and {split}B (raw or _jpeg + _offsets)"
    )


def _npz_images(path: Path, key: str) -> np.ndarray:
    """A raw array member, or JPEG bytes + offsets decoded (through ``load_split``'s reader)."""
    with open_npz(path) as archive:
        if key in archive.files:
            return _check(archive[key], f"{path} {key}")
    images, _, _ = load_split(path, key)
    return images


def _decode(files: list[Path], where: str) -> np.ndarray:
    """Decode image files into one (N, H, W, 3) array; they must share one size."""
    images = [decode_image(p.read_bytes(), str(p)) for p in files]
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ZooError(f"{where}: images have different sizes {sorted(shapes)[:3]}: resize them to one size first")
    return np.stack(images)


def _folder_files(folder: Path) -> dict[str, Path]:
    """Image files directly in ``folder`` by name (hidden files skipped)."""
    return {p.name: p for p in image_files(folder) if p.parent == folder and not p.name.startswith(".")}


def _from_folder(path: Path, split: str) -> TranslationData:
    """A/ + B/ (paired by name), {split}A/ + {split}B/ (unpaired), or side-by-side images (paired)."""
    if (path / "A").is_dir() and (path / "B").is_dir():
        a_files, b_files = _folder_files(path / "A"), _folder_files(path / "B")
        missing = sorted(set(a_files) ^ set(b_files))
        if missing:
            raise ZooError(
                f"{path}: A/ and B/ must hold files of the same names; {len(missing)} have no partner, "
                f"e.g. {missing[0]!r}"
            )
        if not a_files:
            raise ZooError(f"{path}: A/ and B/ hold no images ({', '.join(IMAGE_SUFFIXES)})")
        names = sorted(a_files)
        a = _decode([a_files[n] for n in names], str(path / "A"))
        b = _decode([b_files[n] for n in names], str(path / "B"))
        return TranslationData(a, b, PAIRED, split, f"{path} (A/, B/ paired by file name)")
    if (path / f"{split}A").is_dir() and (path / f"{split}B").is_dir():
        sides = []
        for side in ("A", "B"):
            files = sorted(_folder_files(path / f"{split}{side}").values())
            if not files:
                raise ZooError(f"{path / (split + side)} holds no images ({', '.join(IMAGE_SUFFIXES)})")
            sides.append(_decode(files, str(path / f"{split}{side}")))
        return TranslationData(sides[0], sides[1], UNPAIRED, split, f"{path} ({split}A/, {split}B/)")
    folder = path / split if split != WHOLE and (path / split).is_dir() else path
    files = sorted(_folder_files(folder).values())
    if not files:
        raise ZooError(
            f"{path}: no translation data: give A/ and B/ (pairs by file name), {split}A/ and {split}B/ (two "
            f"domains) or a folder of side-by-side input|target images"
        )
    both = _decode(files, str(folder))
    width = both.shape[2]
    if width % 2:
        raise ZooError(f"{folder}: side-by-side pairs need an even width (input | target), found {width} px")
    half = width // 2
    return TranslationData(both[:, :, :half], both[:, :, half:], PAIRED, split, f"{folder} (side by side)")


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
        side_by_side = sorted(n for n in dirs if _folder_files(path / n))
        return dict.fromkeys(([WHOLE] if _folder_files(path) else []) + side_by_side, PAIRED)
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
    """
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    data = _from_folder(path, split) if path.is_dir() else _from_npz(path, split)
    a, b = _check(data.a, f"{path} A"), _check(data.b, f"{path} B")
    if data.paired and a.shape[1:3] != b.shape[1:3]:
        raise ZooError(f"{path}: paired images differ in size ({a.shape[1:3]} vs {b.shape[1:3]}): make them match")
    return TranslationData(a, b, data.layout, data.split, data.source)


def translation_channels(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(A's channels, B's channels) of a translation dataset's training split: 1 (grey) or 3."""
    data = load_translation_data(path, "train")
    return data.a.shape[-1], data.b.shape[-1]


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
