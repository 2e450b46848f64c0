"""Real-data features and FID statistics, cached by what determines them.

The key is the dataset's sha256 (file bytes, or every file of an image folder), the split, the
extractor (name, weights hash, precision) and the number of images, so a changed dataset or
extractor can never be served stale statistics. Entries are safetensors: the features (KID and
precision/recall need them) plus mean and covariance in float64 (FID needs only those).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from zoo.errors import ZooError
from zoo.metrics.downloads import zoo_home

SUBSET_SEED = 0


def real_subset(total: int, n: int, seed: int = SUBSET_SEED) -> np.ndarray:
    """Indices of the ``n`` real images to use: all of them, or a seeded random subset in dataset order."""
    if n >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, n, replace=False))


def cache_path(fingerprint: str, split: str, extractor_key: str, n: int) -> Path:
    """Where the entry for this (dataset, split, extractor, n) lives under the zoo cache."""
    safe_key = "".join(c if c.isalnum() or c in "-_." else "_" for c in extractor_key)
    safe_split = "".join(c if c.isalnum() or c in "-_." else "_" for c in split)
    return zoo_home() / "stats" / f"{fingerprint[:20]}-{safe_split}-{safe_key}-n{n}.safetensors"


def save_reference(path: Path, features: Mapping[str, Any], metadata: Mapping[str, Any]) -> Path:
    """Write features (float32) and their mean/covariance (float64) atomically."""
    import torch

    from zoo.metrics.frechet import gaussian_statistics
    from zoo.weights import write_safetensors

    tensors = {f"features.{k}": v.float().contiguous() for k, v in features.items()}
    if "pool" in features:
        mu, sigma = gaussian_statistics(features["pool"])
        tensors.update({"mu": mu.contiguous(), "sigma": sigma.contiguous()})
    tensors = {k: torch.as_tensor(v) for k, v in tensors.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_safetensors(path, tensors, {"zoo.reference": json.dumps(dict(metadata), sort_keys=True)})
    return path


def load_reference(path: Path, outputs: list[str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(tensors, metadata) of a cache entry holding every requested output, or None (a miss)."""
    if not path.is_file():
        return None
    from zoo.weights import load_tensors, read_metadata

    try:
        metadata = json.loads(read_metadata(path).get("zoo.reference", "{}"))
        tensors = load_tensors(path)
    except (ZooError, json.JSONDecodeError):
        path.unlink(missing_ok=True)  # corrupt entry: recompute rather than fail
        return None
    if any(f"features.{name}" not in tensors for name in outputs):
        return None
    return tensors, metadata


def peek_metadata(path: Path) -> dict[str, Any] | None:
    """The metadata of a cache entry without reading its tensors (image size checks before any work)."""
    if not path.is_file():
        return None
    from zoo.weights import read_metadata

    try:
        return json.loads(read_metadata(path).get("zoo.reference", "{}"))
    except (ZooError, json.JSONDecodeError):
        return None
