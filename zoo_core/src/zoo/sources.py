"""Image datasets read one image at a time, so training and evaluation need not hold a dataset in memory.

Every source is random access (``read(i)``), because the trainer's batch schedule is a pure function
of (seed, step, rank): a resumed run must read exactly the images an uninterrupted one would. Sources
hold file names and offsets, not open handles, so they pickle into DataLoader worker processes; each
process opens its own files on first use. Reads use ``os.pread`` rather than memory maps, so a process
under an address-space limit (RLIMIT_AS) can read a dataset larger than that limit.

Formats: ``.npz`` (raw uint8 members, or JPEG bytes + offsets), image folders (optionally one sub-folder
per class), tar shards in the WebDataset layout (``KEY.jpg`` + optional ``KEY.cls``), Parquet shards
(the Hugging Face layout: an image column of ``{bytes, path}`` structs or raw bytes, an integer label
column) and Hugging Face datasets, ``hf:ORG/NAME[:SPLIT]``, read through the ``datasets`` library.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zoo.data_formats import (
    HUB_PREFIX,
    IMAGE_SUFFIXES,
    NPZ_READ_ERRORS,
    PICTURE_CHANNELS,
    WHOLE,
    check_image_shape,
    check_jpeg_index,
    check_labels,
    check_member_size,
    class_dirs,
    class_folder_files,
    folder_split,
    image_files,
    is_hub_spec,
    local_fingerprint,
    npz_choice,
    npz_class_names,
    one_line,
    open_npz,
    parse_hub_spec,
    shard_files,
    unreadable_npz,
)
from zoo.errors import ZooError
from zoo.image_io import decode_image

LABEL_SUFFIXES = ("cls", "label")  # WebDataset's class-index member names
MAX_LABEL = 1_000_000  # class indices beyond this are damage, not classes


class _Files:
    """Per-process read-only file descriptors, reopened after a fork (DataLoader workers)."""

    def __init__(self) -> None:
        self._pid, self._fds = -1, {}

    def pread(self, path: Path, offset: int, size: int) -> bytes:
        if self._pid != os.getpid():
            self._pid, self._fds = os.getpid(), {}
        fd = self._fds.get(path)
        if fd is None:
            fd = self._fds[path] = os.open(path, os.O_RDONLY)
        data = os.pread(fd, size, offset)
        if len(data) != size:
            raise ZooError(f"{path} is shorter than its index says (truncated?): re-create it")
        return data

    def __getstate__(self) -> dict[str, Any]:
        return {}  # descriptors do not travel to another process

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()


class ImageSource:
    """Random access to N images, with labels (N,) and class names when the data has them."""

    spec: str
    labels: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    channels: int = 3  # encoded images decode to RGB
    split: str = WHOLE

    def __len__(self) -> int:
        raise NotImplementedError

    def read(self, index: int) -> np.ndarray:
        """Image ``index`` as (H, W, C) uint8."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """What a run and the evaluation cache record as "the data" (a sha256, or a Hub revision)."""
        return local_fingerprint(Path(self.spec))

    def read_many(self, indices: Sequence[int]) -> np.ndarray:
        """Images ``indices`` as one (n, H, W, C) array; they must share one size."""
        images = [self.read(int(i)) for i in indices]
        shapes = {image.shape for image in images}
        if len(shapes) > 1:
            raise ZooError(f"{self.spec}: images have different sizes {sorted(shapes)[:3]}: resize them first")
        return np.stack(images)


class NpzArraySource(ImageSource):
    """An uncompressed ``.npz`` member (N, H, W[, C]) uint8, read image by image at its byte offset.

    ``member`` names the array itself (a translation dataset's ``A``, ``trainB`` …) instead of a split's.
    """

    def __init__(
        self, path: Path, split: str, member: str | None = None, channels: tuple[int, ...] = PICTURE_CHANNELS
    ) -> None:
        self.spec, self._files = str(path), _Files()
        with open_npz(path) as archive:
            image_key, label_key, self.split = _npz_member(path, archive, split, member)
            if image_key.endswith("_jpeg"):
                raise ValueError("use NpzJpegSource")
            check_member_size(path, archive, image_key)
            shape, dtype, self._offset = _npy_layout(path, archive, image_key)
            self.labels = _npz_labels(path, archive, label_key)
        self.classes = npz_class_names(path)
        where = f"{path} {image_key}" if member else path
        if dtype != np.uint8:
            raise ZooError(f"{where}: images must be uint8, found {dtype}")
        check_image_shape(where, shape, channels)
        self.path, self._shape = path, tuple(shape[1:]) if len(shape) == 4 else (*shape[1:], 1)
        self._count, self.channels = int(shape[0]), self._shape[-1]
        self._stride = int(np.prod(self._shape))

    def __len__(self) -> int:
        return self._count

    def read(self, index: int) -> np.ndarray:
        raw = self._files.pread(self.path, self._offset + index * self._stride, self._stride)
        return np.frombuffer(raw, np.uint8).reshape(self._shape)


class NpzJpegSource(ImageSource):
    """JPEG bytes (one uncompressed 1-D member) cut by an offsets member, decoded image by image.

    ``member`` names the ``NAME_jpeg`` member itself (a translation dataset's ``trainA_jpeg`` …).
    """

    def __init__(self, path: Path, split: str, member: str | None = None) -> None:
        self.spec, self.path, self._files = str(path), path, _Files()
        with open_npz(path) as archive:
            image_key, label_key, self.split = _npz_member(path, archive, split, member)
            self.member = image_key
            offsets_key = f"{image_key.removesuffix('_jpeg')}_offsets"
            for key in (image_key, offsets_key):
                check_member_size(path, archive, key)
            shape, dtype, self._offset = _npy_layout(path, archive, image_key)
            self.offsets = archive[offsets_key]
            blob_view = np.broadcast_to(np.zeros((), dtype), shape)  # shape and dtype, no bytes read
            check_jpeg_index(path, blob_view, self.offsets, image_key)
            self.labels = _npz_labels(path, archive, label_key)
        self.classes = npz_class_names(path)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def read(self, index: int) -> np.ndarray:
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        blob = self._files.pread(self.path, self._offset + start, end - start)
        return decode_image(blob, f"{self.spec} {self.member}[{index}]")  # as the in-memory loader names it


def _npz_member(
    path: Path, archive: np.lib.npyio.NpzFile, split: str, member: str | None
) -> tuple[str, str | None, str]:
    """(image key, label key, split used): ``member`` when the caller names it, else ``split``'s choice."""
    if member is None:
        return npz_choice(path, set(archive.files), split)
    if f"{member}.npy" not in archive.zip.namelist():
        raise ZooError(f"{path} has no member {member!r}")
    return member, None, split


def _npy_layout(path: Path, archive: np.lib.npyio.NpzFile, key: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, absolute byte offset of the data) of an npz member stored without compression."""
    info = archive.zip.getinfo(f"{key}.npy")
    if info.compress_type != zipfile.ZIP_STORED:
        raise CompressedMember(f"{path}: {key!r} is compressed (np.savez_compressed): it cannot be read image by image")
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)
        start = (
            info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        )
        handle.seek(start)
        fmt = np.lib.format
        version = fmt.read_magic(handle)
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = reader(handle)
        if fortran and len(shape) > 1:
            raise CompressedMember(f"{path}: {key!r} is stored in Fortran order, so it cannot be read image by image")
        return tuple(int(d) for d in shape), dtype, handle.tell()


def _npz_labels(path: Path, archive: np.lib.npyio.NpzFile, key: str | None) -> np.ndarray | None:
    if key is None:
        return None
    check_member_size(path, archive, key)
    labels = archive[key]
    return labels.reshape(-1) if labels.ndim == 2 and labels.shape[1] == 1 else labels


class CompressedMember(ZooError):
    """An npz member that must be decompressed whole: readable in memory, not image by image."""


class FolderSource(ImageSource):
    """Image files under a folder (sorted), labelled by class sub-folder when ``class_folders``."""

    def __init__(self, path: Path, split: str, class_folders: bool) -> None:
        self.spec, self.split = str(path), folder_split(path, split)
        if class_folders:
            self.files, labels = class_folder_files(path)
            self.labels, self.classes = labels, tuple(p.name for p in class_dirs(path))
        else:
            self.files = image_files(path)
            if not self.files:
                raise ZooError(f"{path} contains no image files ({', '.join(IMAGE_SUFFIXES)})")

    def __len__(self) -> int:
        return len(self.files)

    def read(self, index: int) -> np.ndarray:
        try:
            blob = self.files[index].read_bytes()
        except OSError as exc:
            raise ZooError(f"{self.files[index]} cannot be read ({exc.strerror}): check the folder") from None
        return decode_image(blob, str(self.files[index]))


class TarShardSource(ImageSource):
    """Uncompressed tar shards in the WebDataset layout: ``KEY.png|jpg|…`` with an optional ``KEY.cls``."""

    def __init__(self, spec: str, shards: list[Path]) -> None:
        self.spec, self._files = spec, _Files()
        self.index: list[tuple[Path, int, int]] = []  # (shard, data offset, size) per sample
        labels: list[int | None] = []
        for shard in shards:
            samples: dict[str, dict[str, Any]] = {}
            try:
                with tarfile.open(shard, "r:") as tar:
                    for member in tar:
                        if not member.isfile():
                            continue
                        directory, _, base = member.name.rpartition("/")
                        stem, _, ext = base.partition(".")
                        sample = samples.setdefault(f"{directory}/{stem}", {})
                        if f".{ext.lower()}" in IMAGE_SUFFIXES:
                            sample["image"] = (shard, member.offset_data, member.size)
                        elif ext.lower() in LABEL_SUFFIXES:
                            sample["label"] = _tar_label(shard, tar, member)
            except (tarfile.TarError, OSError) as exc:
                raise ZooError(
                    f"{shard} is not a readable uncompressed tar ({one_line(exc)}): write shards with "
                    "tar -cf (not .tar.gz), e.g. by webdataset.TarWriter"
                ) from None
            for key, sample in samples.items():
                if "image" in sample:
                    self.index.append(sample["image"])
                    labels.append(sample.get("label"))
                elif "label" in sample:
                    raise ZooError(f"{shard}: sample {key.lstrip('/')!r} has a label but no image file")
        if not self.index:
            raise ZooError(f"{spec}: the shards hold no image files ({', '.join(IMAGE_SUFFIXES)})")
        if all(label is not None for label in labels):
            self.labels = np.asarray(labels, dtype=np.int64)
        elif any(label is not None for label in labels):
            missing = sum(label is None for label in labels)
            raise ZooError(f"{spec}: {missing} of {len(labels)} samples have no .cls label: label all or none")

    def __len__(self) -> int:
        return len(self.index)

    def read(self, index: int) -> np.ndarray:
        shard, offset, size = self.index[index]
        return decode_image(self._files.pread(shard, offset, size), f"{shard} sample {index}")


def _tar_label(shard: Path, tar: tarfile.TarFile, member: tarfile.TarInfo) -> int:
    handle = tar.extractfile(member)
    text = handle.read(64).decode(errors="replace").strip() if handle else ""
    try:
        label = int(text)
    except ValueError:
        raise ZooError(f"{shard}: {member.name} holds {text!r}, not a class index: write the integer label") from None
    if not 0 <= label < MAX_LABEL:  # np.int64 would overflow, and no dataset has this many classes
        raise ZooError(f"{shard}: {member.name} holds {label}, not a class index in [0, {MAX_LABEL:,})")
    return label


class ParquetSource(ImageSource):
    """Parquet shards: an image column (``{bytes, path}`` structs as Hugging Face writes them, or bytes)."""

    IMAGE_COLUMNS = ("image", "img", "png", "jpg", "jpeg")
    LABEL_COLUMNS = ("label", "labels")

    def __init__(self, spec: str, shards: list[Path]) -> None:
        pq = _import("pyarrow.parquet", "pyarrow")
        self.spec, self.shards = spec, shards
        self.groups: list[tuple[int, int, int]] = []  # (shard number, row group, first row) in row order
        labels: list[np.ndarray] = []
        rows = 0
        for number, shard in enumerate(shards):
            try:
                handle = pq.ParquetFile(shard)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError...
                raise ZooError(f"{shard} is not a readable Parquet file ({one_line(exc)})") from None
            names = handle.schema_arrow.names
            if number == 0:
                self.column = next((c for c in self.IMAGE_COLUMNS if c in names), None)
                self.label_column = next((c for c in self.LABEL_COLUMNS if c in names), None)
                self.classes = _hf_class_names(handle.schema_arrow.metadata, self.label_column)
                if self.column is None:
                    raise ZooError(f"{shard} has no image column (one of {', '.join(self.IMAGE_COLUMNS)}): {names}")
            elif self.column not in names:
                raise ZooError(f"{shard} has no {self.column!r} column, unlike {shards[0].name}")
            for group in range(handle.num_row_groups):
                self.groups.append((number, group, rows))
                rows += handle.metadata.row_group(group).num_rows
            if self.label_column:
                labels.append(handle.read(columns=[self.label_column]).column(0).to_numpy())
        self._rows, self._starts = rows, np.asarray([start for _, _, start in self.groups])
        self.labels = np.concatenate(labels) if labels else None
        self._cached: tuple[int, Any] = (-1, None)
        if rows == 0:
            raise ZooError(f"{spec}: the Parquet shards hold no rows")

    def __len__(self) -> int:
        return self._rows

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cached": (-1, None)}

    def read(self, index: int) -> np.ndarray:
        group = int(np.searchsorted(self._starts, index, side="right")) - 1
        if self._cached[0] != group:
            pq = _import("pyarrow.parquet", "pyarrow")
            number, row_group, _ = self.groups[group]
            table = pq.ParquetFile(self.shards[number]).read_row_group(row_group, columns=[self.column])
            self._cached = (group, table.column(0))
        value = self._cached[1][index - self.groups[group][2]].as_py()
        blob = value.get("bytes") if isinstance(value, dict) else value
        if not isinstance(blob, bytes | bytearray):
            raise ZooError(f"{self.spec}: row {index} of column {self.column!r} holds no image bytes")
        return decode_image(bytes(blob), f"{self.spec} row {index}")


def _hf_class_names(metadata: dict[bytes, bytes] | None, label_column: str | None) -> tuple[str, ...]:
    """Class names a Hugging Face Parquet file keeps in its schema metadata (a ClassLabel's names)."""
    if not metadata or not label_column or b"huggingface" not in metadata:
        return ()
    try:
        feature = json.loads(metadata[b"huggingface"])["info"]["features"][label_column]
    except (KeyError, TypeError, ValueError):
        return ()
    names = feature.get("names") if isinstance(feature, dict) else None
    return tuple(str(name) for name in names) if isinstance(names, list) else ()


class HubSource(ImageSource):
    """``hf:ORG/NAME[:SPLIT][@REVISION]`` through the ``datasets`` library: its cache, offline mode, HF_ENDPOINT.

    The split is prepared once into the Hugging Face cache (Arrow files, memory-mapped) and read by
    index; streaming mode is not used because the batch schedule needs random access.
    """

    def __init__(self, spec: str, split: str) -> None:
        datasets = _import("datasets", "datasets")
        self.spec = spec
        name, self.split, revision = parse_hub_spec(spec, split)
        self.repo = name
        try:
            builder = datasets.load_dataset_builder(name, revision=revision)
            builder.download_and_prepare()
            self.dataset = builder.as_dataset(split=self.split)
        except Exception as exc:  # noqa: BLE001 - datasets raises many types (not found, offline, bad split)
            raise ZooError(
                f"{spec}: the Hugging Face dataset could not be read ({one_line(exc)}): check the name, the "
                "split and HF_ENDPOINT / HF_HUB_OFFLINE"
            ) from None
        self.revision = str(getattr(builder, "hash", "") or revision or "")
        self.column, self.labels, self.classes = _hub_columns(spec, self.dataset, datasets)

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def identity(self) -> str:
        """``hf:ORG/NAME@REVISION:SPLIT``: the exact data, as anyone with Hub access can fetch it again."""
        return f"{HUB_PREFIX}{self.repo}@{self.revision}:{self.split}"

    def fingerprint(self) -> str:
        """sha256 of ``identity``: a card's dataset_sha256 is 64 hex digits for every kind of data."""
        return hashlib.sha256(self.identity.encode()).hexdigest()

    def read(self, index: int) -> np.ndarray:
        image = self.dataset[index][self.column]
        if isinstance(image, dict):
            return decode_image(image["bytes"], f"{self.spec} row {index}")
        return np.asarray(image.convert("RGB"))


def _hub_columns(spec: str, dataset: Any, datasets: Any) -> tuple[str, np.ndarray | None, tuple[str, ...]]:
    """(image column, labels, class names) of a Hugging Face dataset, by feature type."""
    features = dataset.features
    images = [name for name, feature in features.items() if isinstance(feature, datasets.Image)]
    if not images:
        raise ZooError(f"{spec}: the dataset has no Image column (columns: {', '.join(features)})")
    labels = [name for name, feature in features.items() if isinstance(feature, datasets.ClassLabel)]
    if not labels:
        return images[0], None, ()
    values = np.asarray(dataset.data.column(labels[0]).to_numpy(), dtype=np.int64)
    return images[0], values, tuple(features[labels[0]].names)


def _import(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ZooError(f"reading this data needs {package}: pip install 'zoo-core[datasets]'") from None


def open_source(data: str | os.PathLike[str], split: str = "train", *, class_folders: bool = False) -> ImageSource:
    """The lazy source for ``data``; a compressed .npz member raises ``CompressedMember`` (read it in memory)."""
    spec = str(data)
    if is_hub_spec(spec):
        return HubSource(spec, split)
    path = Path(spec)
    if not path.exists():
        raise ZooError(f"data path {spec!r} does not exist")
    shards = shard_files(path)
    if shards:
        if split != "train":
            raise ZooError(f"{spec}: shards have no {split} split: use --split train (all of them)")
        kinds = {p.suffix.lower() for p in shards}
        if len(kinds) > 1:
            raise ZooError(f"{spec} mixes .tar and .parquet shards: keep one format per dataset folder")
        return TarShardSource(spec, shards) if kinds == {".tar"} else ParquetSource(spec, shards)
    if path.is_dir():
        return FolderSource(path, split, class_folders)
    try:
        with open_npz(path) as archive:
            jpeg = npz_choice(path, set(archive.files), split)[0].endswith("_jpeg")
        source: ImageSource = NpzJpegSource(path, split) if jpeg else NpzArraySource(path, split)
    except CompressedMember:
        raise
    except (*NPZ_READ_ERRORS, KeyError) as exc:
        raise unreadable_npz(path, exc) from None
    return source


def checked_labels(source: ImageSource, num_classes: int | None) -> np.ndarray:
    """The source's labels, checked as an in-memory load checks them, or a one-line error if it has none."""
    if source.labels is None:
        raise ZooError(
            f"{source.spec} has no labels but the model is class-conditional: add labels (an .npz `labels` "
            "array, class sub-folders, .cls members or a ClassLabel column)"
        )
    return check_labels(source.spec, source.labels, len(source), num_classes, source.classes)
