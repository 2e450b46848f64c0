"""Intra-class FID: equal to a float64 scipy restatement per class; refused where it cannot mean anything."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from zoo.errors import ZooError
from zoo.metrics.extractors import LABELS, POOL
from zoo.metrics.intra_class import IntraClassFID


def _reference_fid(a: np.ndarray, b: np.ndarray) -> float:
    """FID as pytorch-fid states it: scipy sqrtm of the covariance product, all float64."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def _labelled(n: int, dim: int, classes: int, seed: int, offset: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % classes)
    centres = np.random.default_rng(99).normal(scale=3, size=(classes, dim))
    return centres[labels] + rng.normal(size=(n, dim)) * (1 + 0.2 * labels[:, None]) + offset, labels


def test_intra_class_fid_equals_a_float64_restatement_per_class():
    fake, fake_labels = _labelled(900, 12, 3, seed=1, offset=0.3)
    real, real_labels = _labelled(1200, 12, 3, seed=2, offset=0.0)
    metric = IntraClassFID(extractor="test-pixels")
    for side, x, y in ((False, fake, fake_labels), (True, real, real_labels)):
        for rows in np.array_split(np.arange(len(x)), 4):
            metric.update_features({POOL: torch.from_numpy(x[rows]), LABELS: torch.from_numpy(y[rows])}, real=side)
    values = metric.compute()
    expected = [_reference_fid(real[real_labels == c], fake[fake_labels == c]) for c in range(3)]
    for c in range(3):
        assert values[f"ifid_class_{c}"] == pytest.approx(expected[c], rel=1e-6)
    assert values["ifid"] == pytest.approx(np.mean(expected), rel=1e-6)
    assert len(set(np.round(expected, 3))) == 3, "the classes differ, so a mix-up of labels would be caught"


def test_a_class_with_fewer_images_than_dimensions_is_refused():
    metric = IntraClassFID(extractor="test-pixels")
    x = torch.randn(60, 16)
    y = torch.tensor([0] * 50 + [1] * 10)
    metric.update_features({POOL: x, LABELS: y}, real=True)
    metric.update_features({POOL: x, LABELS: y}, real=False)
    with pytest.raises(ZooError, match=r"more than 16 images of each class.*class 1: 10 generated, 10 real"):
        metric.compute()


def test_features_without_labels_are_refused():
    with pytest.raises(ZooError, match="class label of every image"):
        IntraClassFID(extractor="test-pixels").update_features(torch.randn(4, 3), real=True)
