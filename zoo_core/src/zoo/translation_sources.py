"""Translation datasets as two sides of images read one at a time, so training can stream them or hold them.

``open_translation_sources`` settles a dataset's layout once (the formats of ``zoo.translation_data``) and
names every image by index without decoding it: npz members (raw uint8 read at their byte offset, or
JPEG/PNG bytes cut by ``_offsets``, through ``zoo.sources``), files in folders (``A/`` and ``B/`` matched by
name, ``trainA/`` and ``trainB/``) or the halves of side-by-side files. The in-memory loader reads the same
sources whole, so memory and streaming see the same images in the same order and a run's weights do not
depend on which it used. ``lazy=False`` reads npz members whole instead (compressed ones included).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from zoo.data import load_split
from zoo.data_formats import (
    IMAGE_SUFFIXES,
    INPUT_CHANNELS,
    NPZ_READ_ERRORS,
    PICTURE_CHANNELS,
    WHOLE,
    check_image_shape,
    image_files,
    open_npz,
    unreadable_npz,
)
from zoo.errors import ZooError
from zoo.sources import FolderSource, ImageSource, NpzArraySource, NpzJpegSource

PAIRED, UNPAIRED = "paired", "unpaired"


@dataclass(frozen=True)
class TranslationSources:
    """Both sides of a translation dataset, image by image; ``paired``: a[i] goes with b[i]."""

    a: ImageSource
    b: ImageSource
    layout: str  # PAIRED or UNPAIRED
    split: str
    source: str  # how the files are read, for messages and the run's records

    @property
    def paired(self) -> bool:
        return self.layout == PAIRED

    def read_pair(self, a_index: int, b_index: int) -> tuple[np.ndarray, np.ndarray]:
        """Image ``a_index`` of A and ``b_index`` of B, (H, W, C) uint8; a side-by-side file is decoded once."""
        return self.a.read(a_index), self.b.read(b_index)


class ArraySource(ImageSource):
    """Images already decoded, (N, H, W, C) uint8: npz members read whole by the in-memory loader."""

    def __init__(self, images: np.ndarray, spec: str) -> None:
        self.images, self.spec, self.channels = images, spec, images.shape[-1]

    def __len__(self) -> int:
        return len(self.images)

    def read(self, index: int) -> np.ndarray:
        return self.images[index]


class FileSource(FolderSource):
    """Given image files in the given order: ``A/`` and ``B/`` matched by name, or one domain's folder."""

    def __init__(self, spec: str, files: list[Path]) -> None:
        self.spec, self.files = spec, files


class _SideBySide:
    """Side-by-side files, keeping the last one decoded: a pair reads its A half, then its B half."""

    def __init__(self, files: FileSource) -> None:
        self.files, self._last = files, (-1, np.zeros((0, 0, 3), np.uint8))

    def read(self, index: int) -> np.ndarray:
        if self._last[0] != index:
            image = self.files.read(index)
            if image.shape[1] % 2:
                raise ZooError(
                    f"{self.files.files[index]}: side-by-side pairs need an even width (input | target), "
                    f"found {image.shape[1]} px"
                )
            self._last = (index, image)
        return self._last[1]

    def __getstate__(self) -> dict[str, Any]:
        return {"files": self.files}  # a worker starts with no image kept

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["files"])


class HalfSource(ImageSource):
    """The left (A: the input) or right (B: the target) half of side-by-side files."""

    def __init__(self, pairs: _SideBySide, right: bool) -> None:
        self.pairs, self.right = pairs, right
        self.spec = f"{pairs.files.spec} ({'right' if right else 'left'} halves)"

    def __len__(self) -> int:
        return len(self.pairs.files)

    def read(self, index: int) -> np.ndarray:
        image = self.pairs.read(index)
        half = image.shape[1] // 2
        return image[:, half:] if self.right else image[:, :half]


def folder_images(folder: Path) -> dict[str, Path]:
    """Image files directly in ``folder`` by name (hidden files skipped)."""
    return {p.name: p for p in image_files(folder) if p.parent == folder and not p.name.startswith(".")}


def checked_images(images: np.ndarray, where: str) -> np.ndarray:
    """uint8 (N, H, W, C) with C of 1-4 (which side may have what: ``check_side_channels``); grey gains its axis."""
    if images.dtype != np.uint8:
        raise ZooError(f"{where}: images must be uint8 (0-255), found {images.dtype}")
    check_image_shape(where, images.shape, INPUT_CHANNELS)
    return images if images.ndim == 4 else images[..., None]


def _side_key(keys: set[str], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` the archive holds as raw images or as JPEG bytes with offsets."""
    return next((n for n in names if n in keys or {f"{n}_jpeg", f"{n}_offsets"} <= keys), None)


def _npz_side(path: Path, key: str, lazy: bool) -> ImageSource:
    """One side of an npz: read image by image (``lazy``; raises ``CompressedMember``) or whole."""
    with open_npz(path) as archive:
        raw = key in archive.files
        if raw and not lazy:
            return ArraySource(checked_images(archive[key], f"{path} {key}"), f"{path} {key}")
    if not lazy:
        images, _, _ = load_split(path, key)  # _jpeg + _offsets, through the image loader's reader
        return ArraySource(images, f"{path} {key}")
    try:
        if raw:
            return NpzArraySource(path, key, member=key, channels=INPUT_CHANNELS)
        return NpzJpegSource(path, key, member=f"{key}_jpeg")
    except (*NPZ_READ_ERRORS, KeyError) as exc:
        raise unreadable_npz(path, exc) from None


def _from_npz(path: Path, split: str, lazy: bool) -> TranslationSources:
    """A paired (A/B) or unpaired (trainA/trainB) .npz."""
    with open_npz(path) as archive:
        keys = set(archive.files)
    paired = (("A", "B") if split in ("train", WHOLE) else ()) + (f"{split}_A", f"{split}_B")
    a_key, b_key = _side_key(keys, paired[0::2]), _side_key(keys, paired[1::2])
    if a_key and b_key:
        a, b = _npz_side(path, a_key, lazy), _npz_side(path, b_key, lazy)
        if len(a) != len(b):
            raise ZooError(f"{path}: paired arrays {a_key} ({len(a)}) and {b_key} ({len(b)}) differ in length")
        return TranslationSources(a, b, PAIRED, split, f"{path} ({a_key}, {b_key})")
    a_key, b_key = _side_key(keys, (f"{split}A",)), _side_key(keys, (f"{split}B",))
    if a_key and b_key:
        a, b = _npz_side(path, a_key, lazy), _npz_side(path, b_key, lazy)
        return TranslationSources(a, b, UNPAIRED, split, f"{path} ({a_key}, {b_key})")
    found = ", ".join(sorted(keys)) or "none"
    raise ZooError(
        f"{path} holds no translation data for split {split!r} (its keys: {found}): save pairs as A and B "
        f"(or {split}_A, {split}_B), or two domains as {split}A and {split}B (raw or _jpeg + _offsets)"
    )


def _paired_folders(path: Path, split: str) -> TranslationSources:
    """A/ and B/ holding files of the same names."""
    a_files, b_files = folder_images(path / "A"), folder_images(path / "B")
    missing = sorted(set(a_files) ^ set(b_files))
    if missing:
        raise ZooError(
            f"{path}: A/ and B/ must hold files of the same names; {len(missing)} have no partner, e.g. {missing[0]!r}"
        )
    if not a_files:
        raise ZooError(f"{path}: A/ and B/ hold no images ({', '.join(IMAGE_SUFFIXES)})")
    names = sorted(a_files)
    a = FileSource(str(path / "A"), [a_files[n] for n in names])
    b = FileSource(str(path / "B"), [b_files[n] for n in names])
    return TranslationSources(a, b, PAIRED, split, f"{path} (A/, B/ paired by file name)")


def _from_folder(path: Path, split: str) -> TranslationSources:
    """A/ + B/ (paired by name), {split}A/ + {split}B/ (unpaired), or side-by-side images (paired)."""
    if (path / "A").is_dir() and (path / "B").is_dir():
        return _paired_folders(path, split)
    if (path / f"{split}A").is_dir() and (path / f"{split}B").is_dir():
        sides = []
        for side in ("A", "B"):
            folder = path / f"{split}{side}"
            files = sorted(folder_images(folder).values())
            if not files:
                raise ZooError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
            sides.append(FileSource(str(folder), files))
        return TranslationSources(sides[0], sides[1], UNPAIRED, split, f"{path} ({split}A/, {split}B/)")
    folder = path / split if split != WHOLE and (path / split).is_dir() else path
    files = sorted(folder_images(folder).values())
    if not files:
        raise ZooError(
            f"{path}: no translation data: give A/ and B/ (pairs by file name), {split}A/ and {split}B/ (two "
            f"domains) or a folder of side-by-side input|target images"
        )
    pairs = _SideBySide(FileSource(str(folder), files))
    a, b = HalfSource(pairs, right=False), HalfSource(pairs, right=True)
    return TranslationSources(a, b, PAIRED, split, f"{folder} (side by side)")


def check_side_channels(sources: TranslationSources, path: Path) -> None:
    """Outputs are pictures (1 or 3 channels); a paired dataset's inputs (A) may carry one channel more.

    An inpainting model reads RGB plus a mask (4 channels), a colouriser grey plus hints (2). What a model
    draws is scored by picture metrics (FID, SSIM) and saved as an image, so B, and both sides of unpaired
    data (each side is also an output there), stay grey or RGB.
    """
    for side, name in ((sources.a, "A"), (sources.b, "B")):
        channels = getattr(side, "channels", 3)  # decoded files are RGB
        allowed = INPUT_CHANNELS if name == "A" and sources.paired else PICTURE_CHANNELS
        if channels not in allowed:
            role = "a paired dataset's targets (B)" if sources.paired else "both sides of unpaired data"
            raise ZooError(
                f"{path} {name}: {role} are what a model draws, so they must have 1 (grey) or 3 (RGB) channels, "
                f"found {channels}; an extra channel (a mask, alpha) belongs to a paired dataset's inputs (A)"
            )


def open_translation_sources(
    path: str | os.PathLike[str], split: str = "train", *, lazy: bool = True
) -> TranslationSources:
    """Both sides of ``split`` (see the module docstring), opened without decoding more than a pair's first images.

    ``split`` WHOLE ('all') reads data without splits: an .npz's A and B, or top-level side-by-side images.
    """
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    sources = _from_folder(path, split) if path.is_dir() else _from_npz(path, split, lazy)
    check_side_channels(sources, path)
    if sources.paired and lazy:
        a, b = sources.read_pair(0, 0)
        if a.shape[:2] != b.shape[:2]:
            raise ZooError(f"{path}: paired images differ in size ({a.shape[:2]} vs {b.shape[:2]}): make them match")
    return sources
