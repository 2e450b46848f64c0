"""Sample dumps for external metric tools: tens of thousands of images streamed into one .npz.

The standard FID protocol (Heusel et al. 2017; clean-fid, torch-fidelity, StudioGAN) scores 50,000
samples. They are written batch by batch, so memory stays at one batch plus the latents, into a
temporary file that replaces the target only when every image is in: an interrupted dump leaves
nothing behind that could be mistaken for a complete one.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from zoo.files import atomic_path

IMAGES_KEY = "images"
"""uint8 (N, H, W, 3): what ``np.load(path)["images"]`` gives, and what ``zoo eval --data`` reads."""
LABELS_KEY = "labels"
"""int64 (N,) class indices, for conditional models (intra-class metrics need them)."""


def as_rgb(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 1|3) uint8 as (N, H, W, 3): external tools expect RGB, so grey is repeated."""
    return np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images


def write_npz_stream(
    target: Path,
    batches: Iterable[np.ndarray],
    shape: tuple[int, int, int, int],
    labels: np.ndarray | None = None,
    class_names: tuple[str, ...] = (),
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Write ``batches`` (uint8 NHWC, ``shape`` in all) as ``target``'s images; atomically, in bounded memory."""
    expected = int(np.prod(shape[1:]))
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open(f"{IMAGES_KEY}.npy", "w", force_zip64=True) as member:
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_2_0(member, header)
            written = 0
            for batch in batches:
                batch = np.ascontiguousarray(batch, dtype=np.uint8)
                if batch.shape[1:] != shape[1:] or batch[0].size != expected:
                    raise ValueError(f"batch of shape {batch.shape} does not fit images of shape {shape}")
                member.write(batch.tobytes())
                written += len(batch)
                if on_batch is not None:
                    on_batch(len(batch))
            if written != shape[0]:
                raise ValueError(f"{written} images were generated for a dump of {shape[0]}")
        if labels is not None:
            _write_array(archive, LABELS_KEY, labels.astype(np.int64))
        if class_names:
            _write_array(archive, "class_names", np.array(class_names))


def _write_array(archive: zipfile.ZipFile, key: str, array: np.ndarray) -> None:
    """One small array as ``key.npy`` in the open archive."""
    with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)
