"""Density and coverage (Naeem et al. 2020) against the authors' ``prdc`` package on identical features."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prdc import compute_prdc
from zoo.errors import ZooError
from zoo.metrics.density_coverage import DensityCoverage, density_coverage


def _features(n: int, dim: int, seed: int, shift: float = 0.0, clusters: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)) + shift
    if clusters:  # clumped data: many points at similar distances, where a strict < matters
        centres = rng.normal(scale=4, size=(clusters, dim))
        x = centres[rng.integers(clusters, size=n)] + 0.3 * rng.normal(size=(n, dim))
    return x


@pytest.mark.parametrize(
    ("n_real", "n_fake", "dim", "shift", "clusters", "k"),
    [(600, 600, 16, 0.0, 0, 5), (700, 450, 32, 0.5, 0, 5), (500, 800, 8, 0.0, 6, 5), (400, 400, 12, 1.5, 0, 3)],
)
def test_density_and_coverage_equal_prdc(n_real, n_fake, dim, shift, clusters, k, capsys):
    real = _features(n_real, dim, 0, clusters=clusters)
    fake = _features(n_fake, dim, 1, shift=shift, clusters=clusters)
    expected = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    capsys.readouterr()  # prdc prints the counts
    density, coverage = density_coverage(torch.from_numpy(fake), torch.from_numpy(real), k)
    assert density == pytest.approx(expected["density"], rel=1e-6)
    assert coverage == pytest.approx(expected["coverage"], rel=1e-6)


def test_matching_sets_score_near_one_and_a_collapsed_generator_covers_little():
    real = torch.from_numpy(_features(1000, 8, 0))
    density, coverage = density_coverage(torch.from_numpy(_features(1000, 8, 1)), real)
    assert 0.85 < density < 1.15 and coverage > 0.9
    collapsed = real[:1].repeat(1000, 1) + 0.01 * torch.randn(1000, 8, generator=torch.Generator().manual_seed(0))
    density, coverage = density_coverage(collapsed, real)
    assert coverage < 0.02


def test_the_metric_accumulates_batches_and_records_k():
    metric = DensityCoverage(extractor="test-pixels")
    real, fake = torch.from_numpy(_features(300, 6, 0)), torch.from_numpy(_features(300, 6, 1))
    for chunk in real.split(70):
        metric.update_features(chunk, real=True)
    for chunk in fake.split(90):
        metric.update_features(chunk, real=False)
    direct = density_coverage(fake.float(), real.float(), 5)
    assert metric.compute() == pytest.approx({"density": direct[0], "coverage": direct[1]})
    assert metric.protocol() == {"dc_k": 5}


def test_too_few_real_images_is_a_one_line_error():
    metric = DensityCoverage(extractor="test-pixels")
    metric.update_features(torch.randn(5, 4), real=True)
    metric.update_features(torch.randn(20, 4), real=False)
    with pytest.raises(ZooError, match="at least 6 real images"):
        metric.compute()
