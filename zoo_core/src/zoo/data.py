"""Reading training images from an ``.npz`` of uint8 arrays or a folder of image files, and fingerprinting them."""

from __future__ import annotations

import hashlib
import io
import os
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
_NPZ_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)


def _decode(blob: bytes) -> np.ndarray:
    """Decode one encoded image into an RGB uint8 array."""
    from PIL import Image

    with Image.open(io.BytesIO(blob)) as image:
        return np.asarray(image.convert("RGB"))


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
    if path.is_dir() and not _image_files(path):
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SHARD_SUFFIXES)
    return []


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
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    if not path.is_dir():
        raise ZooError(f"data path {str(path)!r} does not exist")
    digest = hashlib.sha256()
    for file in _image_files(path) or shard_files(path):
        digest.update(f"{file.relative_to(path).as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def one_line(exc: BaseException) -> str:
    """``Type: message`` with the message's whitespace (newlines included) collapsed, for one-line errors."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _unreadable_npz(path: Path, exc: BaseException) -> ZooError:
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
    except _NPZ_READ_ERRORS as exc:
        raise _unreadable_npz(path, exc) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ZooError(f"{path} is a single .npy array, not an .npz archive: save it with np.savez(path, images=...)")
    return archive


def _from_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Images (and labels if present) from an npz: raw arrays or JPEG bytes with offsets; and the split used."""
    archive = open_npz(path)
    try:  # members are read lazily, so a damaged member only shows up here
        with archive:
            return _npz_arrays(path, archive, split)
    except _NPZ_READ_ERRORS as exc:
        raise _unreadable_npz(path, exc) from None


def _split_image_keys(split: str) -> tuple[str, ...]:
    return (f"x_{split}", f"{split}_images")


def _split_label_keys(split: str) -> tuple[str, ...]:
    return (f"y_{split}", f"{split}_labels")


def _npz_choice(path: Path, keys: set[str], split: str) -> tuple[str, str | None, str]:
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


def _npz_arrays(path: Path, archive: np.lib.npyio.NpzFile, split: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """The image array (raw or decoded from JPEG bytes), the label array and the split used, of an open npz."""
    image_key, label_key, used = _npz_choice(path, set(archive.files), split)
    offsets_key = f"{image_key.removesuffix('_jpeg')}_offsets"
    for key in (image_key, label_key, offsets_key if image_key.endswith("_jpeg") else None):
        if key:
            _check_member_size(path, archive, key)
    labels = archive[label_key] if label_key else None
    if image_key.endswith("_jpeg"):
        blob, offsets = archive[image_key], archive[offsets_key]
        _check_jpeg_index(path, blob, offsets, image_key)
        images = np.stack([_decode(blob[offsets[i] : offsets[i + 1]].tobytes()) for i in range(len(offsets) - 1)])
        return images, labels, used
    return archive[image_key], labels, used


def _check_member_size(path: Path, archive: np.lib.npyio.NpzFile, key: str) -> None:
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


def _check_jpeg_index(path: Path, blob: np.ndarray, offsets: np.ndarray, key: str) -> None:
    """JPEG bytes (1-D uint8) cut by offsets (1-D integers, non-decreasing, inside the bytes)."""
    ok = blob.ndim == 1 and blob.dtype == np.uint8 and offsets.ndim == 1 and len(offsets) >= 2
    ok = ok and np.issubdtype(offsets.dtype, np.integer)
    ok = ok and offsets[0] >= 0 and offsets[-1] <= len(blob) and bool(np.all(np.diff(offsets) >= 0))
    if not ok:
        raise ZooError(
            f"{path}: {key} must be 1-D uint8 bytes with {key.removesuffix('_jpeg')}_offsets a non-decreasing 1-D "
            "integer index into them (N+1 entries for N images)"
        )


def _image_files(path: Path) -> list[Path]:
    """Every image file under ``path`` (recursively), in sorted order; a FIFO or device among them is refused."""
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and not p.is_dir())
    for file in files:
        require_regular_file(file, "image")
    return files


def _class_dirs(path: Path) -> list[Path]:
    """Sub-folders of ``path`` sorted by name: torchvision ImageFolder's classes (hidden folders skipped)."""
    return sorted((p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def _decode_files(path: Path, files: list[Path]) -> np.ndarray:
    """Decode ``files`` into one (N, H, W, 3) array; they must share one size."""
    try:
        images = [_decode(p.read_bytes()) for p in files]
    except OSError as exc:
        raise ZooError(f"{path}: an image could not be decoded ({exc}): remove or fix it") from None
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ZooError(f"{path}: images have different sizes {sorted(shapes)[:3]}: resize them to one size first")
    return np.stack(images)


def _from_folder(path: Path) -> tuple[np.ndarray, None]:
    """Every image file under ``path`` (recursively), decoded to RGB, without labels."""
    files = _image_files(path)
    if not files:
        raise ZooError(f"{path} contains no image files ({', '.join(IMAGE_SUFFIXES)})")
    return _decode_files(path, files), None


def class_folder_files(path: Path) -> tuple[list[Path], np.ndarray]:
    """Image files of ROOT/CLASSNAME/** and their labels: label i is the i-th class folder, as in ImageFolder."""
    dirs = _class_dirs(path)
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
        found = _image_files(folder)
        if not found:
            raise ZooError(
                f"{path}: class folder {folder.name!r} holds no image files: add images or remove it "
                "(labels follow the sorted folder names)"
            )
        files += found
        labels += [label] * len(found)
    return files, np.asarray(labels, dtype=np.int64)


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
            key = _npz_choice(path, set(archive.files), split)[0]
            if key.endswith("_jpeg"):
                return 3
            with archive.zip.open(f"{key}.npy") as member:
                fmt = np.lib.format
                header = fmt.read_array_header_1_0 if fmt.read_magic(member) == (1, 0) else fmt.read_array_header_2_0
                shape = header(member)[0]
    except (*_NPZ_READ_ERRORS, AttributeError, KeyError) as exc:
        raise _unreadable_npz(path, exc) from None
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


def _folder_split(path: Path, split: str) -> str:
    """A folder has no splits: ``train`` (the default) means all of it, any other split is refused."""
    if split != "train":
        raise ZooError(f"{path} is an image folder, which has no {split} split: use --split train (all its images)")
    return WHOLE


def data_split(path: str | os.PathLike[str], split: str = "train") -> str:
    """The split ``load_split`` would read (``split``, or WHOLE for data without splits), reading only the key list."""
    if is_hub_spec(path):
        from zoo.sources import parse_hub_spec

        return parse_hub_spec(str(path), split)[1]
    path = Path(path)
    if not path.exists():
        raise ZooError(f"data path {str(path)!r} does not exist")
    if path.is_dir() or shard_files(path):
        return _folder_split(path, split)
    try:
        with open_npz(path) as archive:
            keys = set(archive.files)
    except (*_NPZ_READ_ERRORS, AttributeError) as exc:
        raise _unreadable_npz(path, exc) from None
    return _npz_choice(path, keys, split)[2]


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
        used = _folder_split(path, split)
        images, labels = _from_class_folders(path) if class_folders else _from_folder(path)
    else:
        images, labels, used = _from_npz(path, split)
    if images.dtype != np.uint8:
        raise ZooError(f"{path}: images must be uint8, found {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]  # grayscale (N, H, W): one channel, as (N, H, W, 1)
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or len(images) == 0:
        raise ZooError(f"{path}: expected N×H×W (grayscale), N×H×W×1 or N×H×W×3 images, found shape {images.shape}")
    if labels is not None and labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels.reshape(-1)  # Keras datasets store labels as (N, 1)
    return images, labels, used


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


def class_names(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Class names of the data: an ``.npz``'s ``classes`` (label i is name i), a folder's class sub-folders,
    a Parquet or Hub dataset's ClassLabel names."""
    if is_lazy_only(path):
        from zoo.sources import open_source

        return open_source(path).classes
    path = Path(path)
    if path.is_dir():
        return tuple(p.name for p in _class_dirs(path))
    if not path.is_file():
        return ()
    try:
        with open_npz(path) as archive:
            if "classes" not in archive.files:
                return ()
            names = archive["classes"]
    except (*_NPZ_READ_ERRORS, AttributeError, ZooError):
        return ()  # load_images reports unreadable files; names are optional
    return tuple(str(name) for name in names.tolist()) if names.ndim == 1 else ()
