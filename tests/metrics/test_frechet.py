"""FID: closed-form Gaussian cases, agreement with pytorch-fid's sqrtm path, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from zoo.errors import ZooError
from zoo.metrics.frechet import FID, frechet_distance, gaussian_statistics, trace_sqrt_product


def _random_spd(d: int, seed: int, rank: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, rank or 2 * d))
    return a @ a.T / (rank or 2 * d)


def test_diagonal_gaussians_match_the_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=32), rng.normal(size=32)
    a, b = rng.uniform(0.1, 3, size=32), rng.uniform(0.1, 3, size=32)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-12)


def test_commuting_covariances_match_the_closed_form():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(64, 64)))
    a, b = rng.uniform(0.01, 2, size=64), rng.uniform(0.01, 2, size=64)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    assert trace_sqrt_product(torch.from_numpy(s1), torch.from_numpy(s2)) == pytest.approx(
        np.sum(np.sqrt(a * b)), rel=1e-10
    )
    mu = rng.normal(size=64)
    assert frechet_distance(mu, s1, mu, s2) == pytest.approx(np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-9)


def test_general_case_matches_scipy_sqrtm():
    s1, s2 = _random_spd(96, 2), _random_spd(96, 3)
    expected = np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    assert trace_sqrt_product(torch.from_numpy(s1), torch.from_numpy(s2)) == pytest.approx(expected, rel=1e-10)


def test_singular_covariance_falls_back_to_the_symmetric_square_root():
    s1, s2 = _random_spd(64, 4, rank=20), _random_spd(64, 5)
    expected = np.sum(np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)))
    assert trace_sqrt_product(torch.from_numpy(s1), torch.from_numpy(s2)) == pytest.approx(expected, rel=1e-8)


@pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")
def test_fid_agrees_with_pytorch_fid_on_the_same_features():
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(6)
    real = rng.gamma(2.0, 0.3, size=(1200, 256)).astype(np.float32)
    fake = (rng.gamma(2.0, 0.3, size=(1200, 256)) * 1.1 + 0.05).astype(np.float32)
    metric = FID("test-pixels")
    metric.update_features(torch.from_numpy(real), real=True)
    metric.update_features(torch.from_numpy(fake), real=False)
    ours = metric.compute()["fid"]
    mu1, s1 = real.mean(0), np.cov(real, rowvar=False)
    mu2, s2 = fake.mean(0), np.cov(fake, rowvar=False)
    assert ours == pytest.approx(calculate_frechet_distance(mu1, s1, mu2, s2), rel=1e-6)


def test_statistics_are_numpy_mean_and_unbiased_covariance():
    x = np.random.default_rng(7).normal(size=(50, 8))
    mu, sigma = gaussian_statistics(torch.from_numpy(x))
    np.testing.assert_allclose(mu.numpy(), x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma.numpy(), np.cov(x, rowvar=False), rtol=1e-10)


def test_fid_of_a_set_against_itself_is_zero():
    features = torch.from_numpy(np.random.default_rng(8).gamma(2.0, 0.5, size=(400, 48)))
    metric = FID("test-pixels")
    metric.update_features(features, real=True)
    metric.update_features(features, real=False)
    assert abs(metric.compute()["fid"]) < 1e-9


def test_reference_statistics_replace_real_features():
    rng = np.random.default_rng(9)
    real, fake = torch.from_numpy(rng.normal(size=(200, 16))), torch.from_numpy(rng.normal(size=(200, 16)) + 0.3)
    direct = FID("test-pixels")
    direct.update_features(real, real=True)
    direct.update_features(fake, real=False)
    cached = FID("test-pixels")
    cached.set_reference(*gaussian_statistics(real), n=200)
    cached.update_features(fake, real=False)
    assert cached.compute()["fid"] == pytest.approx(direct.compute()["fid"], rel=1e-5)


def test_fewer_samples_than_dimensions_is_refused_with_the_number_needed():
    metric = FID("test-pixels")
    metric.update_features(torch.rand(40, 48), real=True)
    metric.update_features(torch.rand(40, 48), real=False)
    with pytest.raises(ZooError, match="at least 49 real images") as info:
        metric.compute()
    assert "\n" not in str(info.value)
    lenient = FID("test-pixels", allow_few_samples=True)
    lenient.update_features(torch.rand(40, 48), real=True)
    lenient.update_features(torch.rand(40, 48), real=False)
    with pytest.warns(UserWarning, match="at least 49"):
        assert lenient.compute()["fid"] >= 0


def test_nan_features_and_mismatched_statistics_are_refused():
    metric = FID("test-pixels")
    bad = torch.rand(10, 48)
    bad[3, 5] = float("nan")
    with pytest.raises(ZooError, match="NaN or inf features for 1 of 10"):
        metric.update_features(bad, real=True)
    with pytest.raises(ZooError, match="statistics do not match"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ZooError, match="NaN or inf"):
        frechet_distance(np.zeros(2), np.eye(2), np.array([0, np.inf]), np.eye(2))
