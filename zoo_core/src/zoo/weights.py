"""Safetensors weights with the architecture config in their metadata; never pickle.

The header readers here are pure Python so ``zoo list`` can count parameters without torch.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError
from zoo.files import atomic_path, require_regular_file

if TYPE_CHECKING:
    import torch
    from torch import nn

FORMAT_VERSION = "1"
META_FAMILY = "zoo.family"
META_CONFIG = "zoo.config"
META_FORMAT = "zoo.format"
META_CLASSES = "zoo.classes"  # JSON list of class names, written when training data names its labels
META_STEP = "zoo.step"  # the training step a run exported the weights at
META_TRAINING_STATE = "zoo.training_state"  # only in a run's checkpoint.safetensors (zoo.checkpoint)
_LISTED = 4  # key names shown in a mismatch message; the rest are counted
_MAX_HEADER_BYTES = 100 * 1024 * 1024


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in chunks so large weights do not fill memory."""
    return file_digest(path, hashlib.sha256())


def file_digest(path: str | os.PathLike[str], digest: Any) -> str:
    """Feed a file to ``digest`` (a hashlib object, possibly primed) in chunks; return its hex digest."""
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and sanity-check a safetensors header without torch; raise ZooError if corrupt."""
    path = Path(path)
    hint = f"{path} is not a valid safetensors file (truncated or corrupted): delete it and pull or export it again"
    require_regular_file(path, "weights file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            raw_len = handle.read(8)
            if len(raw_len) != 8:
                raise ZooError(hint)
            (header_len,) = struct.unpack("<Q", raw_len)
            if header_len > min(size - 8, _MAX_HEADER_BYTES):
                raise ZooError(hint)
            header = json.loads(handle.read(header_len))
    except FileNotFoundError:
        raise ZooError(f"weights file {path} does not exist") from None
    except (ValueError, UnicodeDecodeError):
        raise ZooError(hint) from None
    if not isinstance(header, dict):
        raise ZooError(hint)
    data_len = size - 8 - header_len
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ZooError(f"{path}: its __metadata__ must map names to strings; the file was not written by safetensors")
    end = 0
    for key, info in header.items():
        if key != "__metadata__":
            problem = _entry_problem(info)
            if not problem and info["data_offsets"][1] > data_len:
                raise ZooError(hint)  # points past the end: most often a truncated download
            if problem:
                raise ZooError(f"{path}: tensor {key[:80]!r} {problem}: the file is corrupt or hostile; do not use it")
            end = max(end, info["data_offsets"][1])
    if end != data_len:
        raise ZooError(hint)
    return header


_ITEM_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
"""Bytes per element of the safetensors dtypes the zoo reads (F8 variants and unsigned wide ints are not used)."""


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry_problem(info: Any) -> str | None:
    """Why a header entry cannot describe a tensor in this file (None when it can): checked before any read."""
    if not isinstance(info, dict):
        return f"is described by {type(info).__name__}, not by {{dtype, shape, data_offsets}}"
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in _ITEM_SIZES:
        return f"has dtype {str(dtype)[:20]!r}, not one of {', '.join(_ITEM_SIZES)}"
    if not isinstance(shape, list) or len(shape) > 8 or not all(_is_count(n) for n in shape):
        return "has no valid shape (a list of at most 8 non-negative integers)"
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(n) for n in offsets):
        return "has no valid data_offsets (two non-negative integers)"
    begin, end = offsets
    if begin > end:
        return f"has data_offsets {offsets} that run backwards"
    if end - begin != math.prod(shape) * _ITEM_SIZES[dtype]:
        return f"claims shape {shape} of {dtype} in {end - begin} bytes"
    return None


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The string metadata stored in a safetensors header (empty if none)."""
    return dict(read_header(path).get("__metadata__") or {})


def read_config(path: str | os.PathLike[str]) -> tuple[str | None, dict[str, Any]]:
    """The (family, architecture config) a zoo weights file carries in its metadata."""
    meta = read_metadata(path)
    try:
        config = json.loads(meta.get(META_CONFIG, "{}"))
    except json.JSONDecodeError:
        raise ZooError(f"{path}: the architecture config in its metadata is not valid JSON") from None
    if not isinstance(config, dict):
        raise ZooError(f"{path}: the architecture config in its metadata is a {type(config).__name__}, not an object")
    return meta.get(META_FAMILY), config


def read_classes(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """The class names a zoo weights file records (empty when it records none)."""
    try:
        names = json.loads(read_metadata(path).get(META_CLASSES, "[]"))
    except json.JSONDecodeError:
        raise ZooError(f"{path}: the class names in its metadata are not valid JSON") from None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ZooError(f"{path}: the class names in its metadata must be a list of strings")
    return tuple(names)


def read_step(path: str | os.PathLike[str]) -> int | None:
    """The training step a run's weights were exported at (None for weights that do not record it)."""
    value = read_metadata(path).get(META_STEP)
    if value is None:
        return None
    if not value.isdigit():
        raise ZooError(f"{path}: the step in its metadata is not a number ({value!r})")
    return int(value)


def count_parameters(path: str | os.PathLike[str], prefix: str = "") -> int:
    """Number of scalars stored under ``prefix`` (buffers included), read from the header alone."""
    header = read_header(path)
    return sum(
        math.prod(info["shape"])
        for key, info in header.items()
        if key != "__metadata__" and key.startswith(prefix) and "running_" not in key and "num_batches" not in key
    )


def save_weights(
    path: str | os.PathLike[str],
    tensors: Mapping[str, torch.Tensor],
    *,
    family: str,
    config: Mapping[str, Any],
    metadata: Mapping[str, str] | None = None,
) -> str:
    """Write ``tensors`` atomically as safetensors with the config in the metadata; return sha256."""
    meta = {META_FORMAT: FORMAT_VERSION, META_FAMILY: family, META_CONFIG: json.dumps(dict(config), sort_keys=True)}
    meta.update(metadata or {})
    write_safetensors(path, tensors, meta)
    return sha256_file(path)


def save_cast(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    dtype: torch.dtype | None,
    family: str,
    config: Mapping[str, Any],
) -> str:
    """Write ``source``'s tensors to ``target``, floating ones cast to ``dtype``, with this family and config.

    The one way a release is made from a run's weights (``zoo push --dtype``, a bundled checkpoint taking a run's
    weights): the rest of the source's metadata (its step, its classes) travels with the tensors; return sha256.
    """
    tensors = {
        key: value.to(dtype) if dtype is not None and value.is_floating_point() else value
        for key, value in load_tensors(source).items()
    }
    kept = {key: value for key, value in read_metadata(source).items() if key not in (META_CONFIG, META_FAMILY)}
    return save_weights(target, tensors, family=family, config=config, metadata=kept)


_DTYPE_CODES = {
    "float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64", "int32": "I32",
    "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
}  # fmt: skip


def safetensors_bytes(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> bytes:
    """The safetensors encoding of ``tensors`` with names and metadata in sorted order: the same bytes every time.

    safetensors' own writer emits the metadata in hash-map order, so two identical runs hashed differently
    and a card's sha256 could not be reproduced by re-running its command.
    """
    import torch

    header: dict[str, Any] = {"__metadata__": dict(sorted((metadata or {}).items()))} if metadata else {}
    chunks, offset = [], 0
    # widest dtypes first, then by name (safetensors' own order): every tensor's data stays aligned to its width
    for name in sorted(tensors, key=lambda key: (-tensors[key].element_size(), key)):
        tensor = tensors[name].detach().cpu().contiguous()
        code = _DTYPE_CODES.get(str(tensor.dtype).removeprefix("torch."))
        if code is None:
            raise ZooError(f"tensor {name!r} has dtype {tensor.dtype}, which safetensors cannot store")
        data = tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        header[name] = {"dtype": code, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks)


def write_safetensors(
    path: str | os.PathLike[str], tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None
) -> None:
    """The one writer of every safetensors file the zoo makes: deterministic bytes, written atomically."""
    encoded = safetensors_bytes(tensors, metadata)
    with atomic_path(path) as tmp:
        tmp.write_bytes(encoded)


def load_tensors(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Read every tensor of a safetensors file onto the CPU, turning corruption into a ZooError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    read_header(path)
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ZooError(
            f"{path} could not be read as safetensors ({exc}): delete it and pull or export it again"
        ) from None


def state_dict_with_prefix(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors under ``prefix`` (e.g. ``"generator."``) with the prefix removed."""
    return {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}


def _first(keys: list[str]) -> str:
    """A few key names and a count of the rest: one readable line even when every key differs."""
    shown = ", ".join(keys[:_LISTED])
    return f"{shown} and {len(keys) - _LISTED} more" if len(keys) > _LISTED else shown


def apply_state(module: nn.Module, tensors: Mapping[str, torch.Tensor], source: str) -> None:
    """Load ``tensors`` into ``module`` strictly, naming missing, unexpected or mis-shaped keys (a few and a count)."""
    expected = module.state_dict()
    problems: list[str] = []
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing:
        problems.append("missing " + _first(missing))
    if unexpected:
        problems.append("unexpected " + _first(unexpected))
    mismatched = []
    for key in sorted(set(expected) & set(tensors)):
        want, got = expected[key], tensors[key]
        if tuple(want.shape) != tuple(got.shape):
            mismatched.append(f"{key} has shape {tuple(got.shape)}, the architecture needs {tuple(want.shape)}")
        elif want.dtype.is_floating_point != got.dtype.is_floating_point:
            mismatched.append(f"{key} has dtype {got.dtype}, the architecture needs {want.dtype}")
    problems += mismatched[:_LISTED]
    if len(mismatched) > _LISTED:
        problems.append(f"and {len(mismatched) - _LISTED} more mismatched keys")
    if problems:
        raise ZooError(
            f"{source} does not fit the architecture ({'; '.join(problems)}): check that the config matches the weights"
        )
    bad = [key for key, value in tensors.items() if value.dtype.is_floating_point and not bool(value.isfinite().all())]
    if bad:
        raise ZooError(
            f"{source} holds NaN or infinite values ({_first(sorted(bad))}): the weights are broken, e.g. a diverged "
            "run; use an earlier checkpoint"
        )
    module.load_state_dict({key: value.to(expected[key].dtype) for key, value in tensors.items()})
