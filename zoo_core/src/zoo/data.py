"""Reading training images whole from an ``.npz`` of uint8 arrays or a folder of image files, and fingerprinting them.

Shards and Hugging Face datasets are read through their lazy ``zoo.sources`` reader; the formats themselves are
recognised and checked in ``zoo.data_formats``, which both build on.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from zoo.data_formats import (
    IMAGE_SUFFIXES,
    NPZ_READ_ERRORS,
    check_image_shape,
    check_jpeg_index,
    check_member_size,
    class_dirs,
    class_folder_files,
    folder_split,
    image_files,
    is_hub_spec,
    local_fingerprint,
    npz_choice,
    npz_class_names,
    open_npz,
    shard_files,
    unreadable_npz,
)
from zoo.errors import ZooError
from zoo.image_io import decode_image


def is_lazy_only(data: str | os.PathLike[str]) -> bool:
    """Whether only zoo.sources reads ``data`` (Hub datasets, tar and Parquet shards), not the loaders here."""
    return is_hub_spec(data) or bool(shard_files(Path(data)))


def dataset_fingerprint(path: str | os.PathLike[str]) -> str:
    """sha256 of a dataset file, or of a folder's image files (or its shards): relative names and hashes, sorted.

    What a run, an evaluation's cache and a model card record as "the data"; other files in a folder
    (notes, a .DS_Store) are not read as images, so they do not change it. A Hugging Face dataset's is
    the sha256 of ``hf:ORG/NAME@REVISION:SPLIT`` (the Hub commit it was read at).
    """
    if is_hub_spec(path):
        from zoo.sources import open_source

        return open_source(path).fingerprint()
    return local_fingerprint(Path(path))


def _from_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Images (and labels if present) from an npz: raw arrays or JPEG bytes with offsets; and the split used."""
    archive = open_npz(path)
    try:  # members are read lazily, so a damaged member only shows up here
        with archive:
            return _npz_arrays(path, archive, split)
    except NPZ_READ_ERRORS as exc:
        raise unreadable_npz(path, exc) from None


def _npz_arrays(path: Path, archive: np.lib.npyio.NpzFile, split: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The image array (raw or decoded from JPEG bytes), the label array and the split used, of an open npz."""
    image_key, label_key, used = npz_choice(path, set(archive.files), split)
    offsets_key = f"{image_key.removesuffix('_jpeg')}_offsets"
    for key in (image_key, label_key, offsets_key if image_key.endswith("_jpeg") else None):
        if key:
            check_member_size(path, archive, key)
    labels = archive[label_key] if label_key else None
    if image_key.endswith("_jpeg"):
        blob, offsets = archive[image_key], archive[offsets_key]
        check_jpeg_index(path, blob, offsets, image_key)
        images = np.stack(
            [
                decode_image(blob[offsets[i] : offsets[i + 1]].tobytes(), f"{path} {image_key}[{i}]")
                for i in range(len(offsets) - 1)
            ]
        )
        return images, labels, used
    return archive[image_key], labels, used


def _decode_files(path: Path, files: list[Path]) -> np.ndarray:
    """Decode ``files`` into one (N, H, W, 3) array; they must share one size."""
    try:
        images = [decode_image(p.read_bytes(), str(p)) for p in files]
    except OSError as exc:
        raise ZooError(f"{path}: an image could not be decoded ({exc}): remove or fix it") from None
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ZooError(f"{path}: images have different sizes {sorted(shapes)[:3]}: resize them to one size first")
    return np.stack(images)


def _from_folder(path: Path) -> tuple[np.ndarray, None]:
    """Every image file under ``path`` (recursively), decoded to RGB, without labels."""
    files = image_files(path)
    if not files:
        raise ZooError(f"{path} contains no image files ({', '.join(IMAGE_SUFFIXES)})")
    return _decode_files(path, files), None


def _from_class_folders(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images of ROOT/CLASSNAME/** decoded, with their labels."""
    files, labels = class_folder_files(path)
    return _decode_files(path, files), labels


def data_channels(path: str | os.PathLike[str], split: str = "train") -> int:
    """1 or 3: the channels ``load_split`` would give, read from the npz member's header (no images decoded).

    Encoded images (JPEG bytes, image folders, shards, Hub datasets) decode to RGB, so they count as 3.
    """
    if is_lazy_only(path) or Path(path).is_dir():
        return 3
    path = Path(path)
    try:
        with open_npz(path) as archive:
            key = npz_choice(path, set(archive.files), split)[0]
            if key.endswith("_jpeg"):
                return 3
            with archive.zip.open(f"{key}.npy") as member:
                fmt = np.lib.format
                header = fmt.read_array_header_1_0 if fmt.read_magic(member) == (1, 0) else fmt.read_array_header_2_0
                shape = header(member)[0]
    except (*NPZ_READ_ERRORS, AttributeError, KeyError) as exc:
        raise unreadable_npz(path, exc) from None
    return 1 if len(shape) == 3 or (len(shape) == 4 and shape[-1] == 1) else 3


def load_images(
    path: str | os.PathLike[str], split: str = "train", *, class_folders: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return (N, H, W, C) uint8 images (C = 1 for grayscale data, else 3) and optional (N,) labels.

    With ``class_folders`` a folder must be laid out ROOT/CLASSNAME/*.png and yields labels;
    without it every image under the folder is read and there are no labels.
    """
    images, labels, _ = load_split(path, split, class_folders=class_folders)
    return images, labels


def data_split(path: str | os.PathLike[str], split: str = "train") -> str:
    """The split ``load_split`` would read (``split``, or WHOLE for data without splits), reading only the key list."""
    if is_hub_spec(path):
        from zoo.sources import parse_hub_spec

        return parse_hub_spec(str(path), split)[1]
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    if path.is_dir() or shard_files(path):
        return folder_split(path, split)
    try:
        with open_npz(path) as archive:
            keys = set(archive.files)
    except (*NPZ_READ_ERRORS, AttributeError) as exc:
        raise unreadable_npz(path, exc) from None
    return npz_choice(path, keys, split)[2]


def load_split(
    path: str | os.PathLike[str], split: str = "train", *, class_folders: bool = False
) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``load_images`` plus the split read: ``split`` itself, or WHOLE when the data has no separate splits."""
    if is_lazy_only(path):  # shards and Hub datasets: read through their lazy source, all of it
        from zoo.sources import open_source

        source = open_source(path, split, class_folders=class_folders)
        images = source.read_many(range(len(source)))
        return images, source.labels, source.split
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    if path.is_dir():
        used = folder_split(path, split)
        images, labels = _from_class_folders(path) if class_folders else _from_folder(path)
    else:
        images, labels, used = _from_npz(path, split)
    if images.dtype != np.uint8:
        raise ZooError(f"{path}: images must be uint8, found {images.dtype}")
    check_image_shape(path, images.shape)
    if images.ndim == 3:
        images = images[..., None]  # grayscale (N, H, W): one channel, as (N, H, W, 1)
    if labels is not None and labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.reshape(-1)  # Keras datasets store labels as (N, 1)
    return images, labels, used


def class_names(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Class names of the data: an ``.npz``'s ``classes`` (label i is name i), a folder's class sub-folders,
    a Parquet or Hub dataset's ClassLabel names."""
    if is_lazy_only(path):
        from zoo.sources import open_source

        return open_source(path).classes
    path = Path(path)
    if path.is_dir():
        return tuple(p.name for p in class_dirs(path))
    return npz_class_names(path) if path.is_file() else ()
