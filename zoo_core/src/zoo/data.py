"""Reading training images from an ``.npz`` of uint8 arrays or a folder of image files."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from zoo.errors import ZooError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
_NPZ_IMAGE_KEYS = ("images", "x_train", "train_images", "x")


def _decode(blob: bytes) -> np.ndarray:
    """Decode one encoded image into an RGB uint8 array."""
    from PIL import Image

    with Image.open(io.BytesIO(blob)) as image:
        return np.asarray(image.convert("RGB"))


def _from_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Images (and labels if present) from an npz: raw arrays or JPEG bytes with offsets."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise ZooError(
            f"{path} could not be read as an .npz of uint8 arrays ({type(exc).__name__}): check the file"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ZooError(f"{path} is a single .npy array, not an .npz archive: save it with np.savez(path, images=...)")
    with archive:
        keys = set(archive.files)
        if f"{split}_jpeg" in keys and f"{split}_offsets" in keys:
            blob, offsets = archive[f"{split}_jpeg"], archive[f"{split}_offsets"]
            images = np.stack([_decode(blob[offsets[i] : offsets[i + 1]].tobytes()) for i in range(len(offsets) - 1)])
            labels = archive[f"{split}_labels"] if f"{split}_labels" in keys else None
            return images, labels
        for key in _NPZ_IMAGE_KEYS:
            if key in keys:
                label_key = next((k for k in ("labels", "y_train", "y") if k in keys), None)
                return archive[key], (archive[label_key] if label_key else None)
    raise ZooError(
        f"{path} holds no images: expected a key among {', '.join(_NPZ_IMAGE_KEYS)} "
        f"or '{split}_jpeg' with '{split}_offsets'"
    )


def _from_folder(path: Path) -> tuple[np.ndarray, None]:
    """Every image file under ``path`` (recursively), decoded to RGB."""
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ZooError(f"{path} contains no image files ({', '.join(IMAGE_SUFFIXES)})")
    try:
        images = [_decode(p.read_bytes()) for p in files]
    except OSError as exc:
        raise ZooError(f"{path}: an image could not be decoded ({exc}): remove or fix it") from None
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ZooError(f"{path}: images have different sizes {sorted(shapes)[:3]}: resize them to one size first")
    return np.stack(images), None


def load_images(path: str | os.PathLike[str], split: str = "train") -> tuple[np.ndarray, np.ndarray | None]:
    """Return (N, H, W, 3) uint8 images and optional (N,) labels from an npz or an image folder."""
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    images, labels = _from_folder(path) if path.is_dir() else _from_npz(path, split)
    if images.dtype != np.uint8:
        raise ZooError(f"{path}: images must be uint8, found {images.dtype}")
    if images.ndim == 3:
        images = np.repeat(images[..., None], 3, axis=-1)
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or len(images) == 0:
        raise ZooError(f"{path}: expected N×H×W×3 images, found shape {images.shape}")
    return images, labels


def class_names(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Class names an ``.npz`` stores under ``classes`` (label i is name i), or () when it has none."""
    path = Path(path)
    if path.is_dir() or not path.is_file():
        return ()
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "classes" not in archive.files:
                return ()
            names = archive["classes"]
    except (ValueError, OSError, zipfile.BadZipFile, AttributeError):
        return ()  # load_images reports unreadable files; names are optional
    return tuple(str(name) for name in names.tolist()) if names.ndim == 1 else ()
