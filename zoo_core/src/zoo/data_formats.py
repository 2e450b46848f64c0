"""The data formats ``--data`` accepts, recognised and checked: specs, ``.npz`` layouts, image folders, shards.

The ground both readers stand on: ``zoo.data`` loads data whole, ``zoo.sources`` reads it image by image;
neither is imported here, so the two never import each other.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np

from zoo.errors import ZooError
from zoo.files import require_regular_file
from zoo.weights import sha256_file

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
SHARD_SUFFIXES = (".tar", ".parquet")  # WebDataset tar shards and Parquet shards, read by zoo.sources
HUB_PREFIX = "hf:"  # --data hf:ORG/NAME[:SPLIT][@REVISION], a Hugging Face dataset read by zoo.sources
# An .npz holds either one set of images ("images"/"x", no split) or splits: x_SPLIT / SPLIT_images, or
# JPEG bytes SPLIT_jpeg + SPLIT_offsets, with labels y_SPLIT / SPLIT_labels (Keras and torchvision names).
_WHOLE_IMAGE_KEYS = ("images", "x")
_WHOLE_LABEL_KEYS = ("labels", "y")
WHOLE = "all"  # what a split is called when the data has no separate splits and all of it is used
# What numpy and zipfile raise on an empty, truncated or corrupted archive (measured by truncating and
# flipping bytes of real .npz files): none of it should reach the user as a traceback.
NPZ_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)
TORCHVISION_PREFIX = "torchvision:"  # --data torchvision:DATASET:ROOT, read by zoo.training.data


def is_torchvision_spec(data: str) -> bool:
    """Whether ``data`` names a torchvision dataset rather than a file or folder (so it has no fingerprint)."""
    return data.startswith(TORCHVISION_PREFIX)


def is_hub_spec(data: str | os.PathLike[str]) -> bool:
    """Whether ``data`` names a Hugging Face dataset (``hf:ORG/NAME[:SPLIT]``) rather than a local path."""
    return str(data).startswith(HUB_PREFIX)


def shard_files(path: Path) -> list[Path]:
    """The ``.tar`` / ``.parquet`` shards that ``path`` is or holds (sorted); empty for other data."""
    if path.is_file():
        return [path] if path.suffix.lower() in SHARD_SUFFIXES else []
    if path.is_dir() and not image_files(path):
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SHARD_SUFFIXES)
    return []


def one_line(exc: BaseException) -> str:
    """``Type: message`` with the message's whitespace (newlines included) collapsed, for one-line errors."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def unreadable_npz(path: Path, exc: BaseException) -> ZooError:
    """One line naming why ``path`` is no usable .npz (empty, not a zip, or the reader's own words)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError:
        head = b"PK"
    if not head:
        detail = "the file is empty"
    elif not head.startswith(b"PK"):
        detail = "it is not a zip archive"
    else:
        detail = f"truncated or damaged, {one_line(exc)}"
    return ZooError(f"{path} is not a readable .npz ({detail}): re-create it with numpy.savez(path, images=...)")


def open_npz(path: Path) -> np.lib.npyio.NpzFile:
    """An .npz archive opened without pickle; a one-line ZooError for anything else (a renamed .npy, garbage)."""
    require_regular_file(path, "data file")
    try:
        archive = np.load(path, allow_pickle=False)
    except NPZ_READ_ERRORS as exc:
        raise unreadable_npz(path, exc) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ZooError(f"{path} is a single .npy array, not an .npz archive: save it with np.savez(path, images=...)")
    return archive


def _split_image_keys(split: str) -> tuple[str, ...]:
    return (f"x_{split}", f"{split}_images")


def _split_label_keys(split: str) -> tuple[str, ...]:
    return (f"y_{split}", f"{split}_labels")


def npz_choice(path: Path, keys: set[str], split: str) -> tuple[str, str | None, str]:
    """(image key, label key, split used) for ``split`` of an npz with ``keys``; ``split`` used is WHOLE for one set.

    ``train`` falls back to the one unsplit set (as training does); any other split must exist.
    """
    if f"{split}_jpeg" in keys and f"{split}_offsets" in keys:
        return f"{split}_jpeg", next((k for k in _split_label_keys(split) if k in keys), None), split
    train = split == "train"
    order = _split_image_keys(split)
    if train:  # the order of earlier releases: images, x_train, train_images, x
        order = (_WHOLE_IMAGE_KEYS[0], *order, _WHOLE_IMAGE_KEYS[1])
    for key in order:
        if key in keys:
            if key in _WHOLE_IMAGE_KEYS:
                labels, used = (*_WHOLE_LABEL_KEYS, *_split_label_keys(split)), WHOLE
            else:
                labels, used = (*_split_label_keys(split), *(_WHOLE_LABEL_KEYS if train else ())), split
            return key, next((k for k in labels if k in keys), None), used
    found = ", ".join(sorted(keys)) or "none"
    if split != "train":
        raise ZooError(
            f"{path} has no {split} split (its keys: {found}): use --split train, or save the {split} images "
            f"as x_{split} (labels y_{split}) or {split}_jpeg + {split}_offsets"
        )
    raise ZooError(
        f"{path} holds no images (its keys: {found}): save them as 'images', x_train or train_jpeg + train_offsets"
    )


def check_member_size(path: Path, archive: np.lib.npyio.NpzFile, key: str) -> None:
    """Refuse a member whose .npy header claims more bytes than the member holds, before numpy allocates them."""
    info = archive.zip.getinfo(f"{key}.npy")
    with archive.zip.open(info) as member:
        fmt = np.lib.format
        version = fmt.read_magic(member)
        shape, _, dtype = fmt.read_array_header_1_0(member) if version == (1, 0) else fmt.read_array_header_2_0(member)
        claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if dtype.hasobject or claimed > info.file_size:
        what = "Python objects" if dtype.hasobject else f"{claimed:,} bytes in a {info.file_size:,}-byte member"
        raise ZooError(f"{path}: array {key!r} claims {what}: the file is damaged; re-create it with numpy.savez")


def check_jpeg_index(path: Path, blob: np.ndarray, offsets: np.ndarray, key: str) -> None:
    """JPEG bytes (1-D uint8) cut by offsets (1-D integers, non-decreasing, inside the bytes)."""
    ok = blob.ndim == 1 and blob.dtype == np.uint8 and offsets.ndim == 1 and len(offsets) >= 2
    ok = ok and np.issubdtype(offsets.dtype, np.integer)
    ok = ok and offsets[0] >= 0 and offsets[-1] <= len(blob) and bool(np.all(np.diff(offsets) >= 0))
    if not ok:
        raise ZooError(
            f"{path}: {key} must be 1-D uint8 bytes with {key.removesuffix('_jpeg')}_offsets a non-decreasing 1-D "
            "integer index into them (N+1 entries for N images)"
        )


def image_files(path: Path) -> list[Path]:
    """Every image file under ``path`` (recursively), in sorted order; a FIFO or device among them is refused."""
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir())
    for file in files:
        require_regular_file(file, "image")
    return files


def class_dirs(path: Path) -> list[Path]:
    """Sub-folders of ``path`` sorted by name: torchvision ImageFolder's classes (hidden folders skipped)."""
    return sorted((p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def folder_split(path: Path, split: str) -> str:
    """A folder has no splits: ``train`` (the default) means all of it, any other split is refused."""
    if split != "train":
        raise ZooError(f"{path} is an image folder, which has no {split} split: use --split train (all its images)")
    return WHOLE


def class_folder_files(path: Path) -> tuple[list[Path], np.ndarray]:
    """Image files of ROOT/CLASSNAME/** and their labels: label i is the i-th class folder, as in ImageFolder."""
    dirs = class_dirs(path)
    loose = sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not dirs:
        if not loose:
            raise ZooError(f"{path} contains no image files ({', '.join(IMAGE_SUFFIXES)})")
        raise ZooError(
            f"{path} is a flat folder, so its images have no class labels: put each class's images in a "
            f"sub-folder ({path}/CLASSNAME/*.png) or use an .npz with `images` and `labels`"
        )
    if loose:
        raise ZooError(
            f"{path} has {len(loose)} image(s) outside its class sub-folders (e.g. {loose[0]}): "
            "move them into the folder of their class"
        )
    files: list[Path] = []
    labels: list[int] = []
    for label, folder in enumerate(dirs):
        found = image_files(folder)
        if not found:
            raise ZooError(
                f"{path}: class folder {folder.name!r} holds no image files: add images or remove it "
                "(labels follow the sorted folder names)"
            )
        files += found
        labels += [label] * len(found)
    return files, np.asarray(labels, dtype=np.int64)


PICTURE_CHANNELS = (1, 3)
"""Channels of a picture a model draws or a metric reads: greyscale or RGB."""
INPUT_CHANNELS = (1, 2, 3, 4)
"""Channels a translator's input may have: a picture plus one more (a mask, an alpha channel: grey+1, RGB+1)."""


def check_image_shape(
    path: str | os.PathLike[str], shape: tuple[int, ...], channels: tuple[int, ...] = PICTURE_CHANNELS
) -> None:
    """N×H×W or N×H×W×C (C in ``channels``) with every size at least 1: the one shape check of every npz reader."""
    channels_ok = len(shape) == 3 or (len(shape) == 4 and shape[-1] in channels)
    if not channels_ok or min(shape[:3], default=0) < 1:
        allowed = ", ".join(f"N×H×W×{c}" for c in channels)
        raise ZooError(f"{path}: expected N×H×W (grayscale), {allowed} images, found shape {tuple(shape)}")


def check_labels(
    path: str | os.PathLike[str],
    labels: np.ndarray,
    count: int,
    num_classes: int | None = None,
    classes: tuple[str, ...] = (),
) -> np.ndarray:
    """(N,) integer labels for ``count`` images, each in [0, num_classes): caught here, not deep in one_hot."""
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.reshape(-1)
    if labels.ndim != 1:
        hint = ": one-hot labels? store labels.argmax(1)" if labels.ndim == 2 else ""
        raise ZooError(f"{path}: labels have shape {labels.shape}, expected one class index per image{hint}")
    if len(labels) != count:
        raise ZooError(f"{path}: {len(labels)} labels for {count} images: give exactly one label per image")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ZooError(f"{path}: labels are {labels.dtype}, not integers: store class indices (labels.astype('int64'))")
    high = num_classes if num_classes else None
    bad = np.flatnonzero((labels < 0) | (labels >= high)) if high else np.flatnonzero(labels < 0)
    if len(bad):
        index, value = int(bad[0]), int(labels[bad[0]])
        name = f" (class {classes[value]!r})" if 0 <= value < len(classes) else ""
        valid = f"0..{high - 1} (the model has {high} classes)" if high else "0 or more"
        fix = "train a model with more classes (--set model.num_classes=K) or relabel" if high else "relabel"
        raise ZooError(
            f"{path}: label {value}{name} of image {index} is out of range ({len(bad)} such labels); "
            f"labels must be {valid}: {fix}"
        )
    return labels


def npz_class_names(path: Path) -> tuple[str, ...]:
    """The ``classes`` array of an ``.npz`` (label i is name i); () when it has none or cannot be read."""
    try:
        with open_npz(path) as archive:
            if "classes" not in archive.files:
                return ()
            names = archive["classes"]
    except (*NPZ_READ_ERRORS, AttributeError, ZooError):
        return ()  # load_images reports unreadable files; names are optional
    return tuple(str(name) for name in names.tolist()) if names.ndim == 1 else ()


def local_fingerprint(path: Path) -> str:
    """``zoo.data.dataset_fingerprint`` of a local file or folder: its sha256, or its images' (or shards') names
    and hashes, sorted."""
    if path.is_file():
        return sha256_file(path)
    if not path.is_dir():
        raise ZooError(f"data path {str(path)!r} does not exist")
    digest = hashlib.sha256()
    for file in image_files(path) or shard_files(path):  # names as the file system stores them (not always UTF-8)
        digest.update(os.fsencode(file.relative_to(path).as_posix()) + f"\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def public_dataset(data: str) -> str:
    """A dataset as a card may show it: a file or folder's name, never the local path it was read from."""
    if is_hub_spec(data):
        return data  # hf:ORG/NAME[:SPLIT][@REVISION] names a public dataset, not a local path
    if is_torchvision_spec(data):
        return ":".join(data.split(":")[:2])  # torchvision:CIFAR10:/local/root -> torchvision:CIFAR10
    return Path(data).name or data


_HUB_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_HUB_SPLIT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_HUB_REVISION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def parse_hub_spec(spec: str, split: str = "train") -> tuple[str, str, str | None]:
    """``hf:ORG/NAME[:SPLIT][@REVISION]`` -> (repo id, split, revision); ``split`` when the spec names none."""
    body = spec[len(HUB_PREFIX) :]
    body, at, revision = body.partition("@")
    name, colon, named_split = body.partition(":")
    usage = "name a Hugging Face dataset as hf:ORG/NAME[:SPLIT][@REVISION], e.g. hf:zoo/faces"
    if not _HUB_REPO.fullmatch(name) or ".." in name:
        raise ZooError(f"{spec!r}: {usage}")
    if colon and not _HUB_SPLIT.fullmatch(named_split):  # checked here, before any request is made
        raise ZooError(f"{spec!r}: the split after ':' must be a name such as train or test; {usage}")
    if at and (not _HUB_REVISION.fullmatch(revision) or ".." in revision):
        raise ZooError(f"{spec!r}: the revision after '@' must be a commit, tag or branch name; {usage}")
    return name, named_split or split, revision or None
