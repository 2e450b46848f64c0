"""Fréchet Inception Distance (Heusel et al. 2017, "GANs trained by a two time-scale update rule...").

FID = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr(sqrt(S1 S2)), the Fréchet (2-Wasserstein) distance
between Gaussians fitted to the two feature sets (Dowson & Landau 1982).

The usual implementation takes ``scipy.linalg.sqrtm`` of the non-symmetric S1 S2 (a Schur
decomposition) only to read its trace. We need only the eigenvalues: with S1 = L L^T (Cholesky),
S1 S2 = L (L^T S2 L) L^-1 is similar to the symmetric PSD matrix L^T S2 L, so
tr(sqrt(S1 S2)) = sum(sqrt(eigvalsh(L^T S2 L))). A symmetric eigenvalue problem in float64 is
many times faster than sqrtm and at least as accurate (``benchmarks/bench_frechet.py``). When S1
is singular (fewer samples than dimensions) Cholesky fails and sqrt(S1) from ``eigh`` replaces L.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from zoo.errors import ZooError, warn
from zoo.metrics.base import FeatureMetric
from zoo.metrics.extractors import POOL, STANDARD_INCEPTION, FeatureExtractor

Stats = tuple[torch.Tensor, torch.Tensor]


def gaussian_statistics(features: torch.Tensor) -> Stats:
    """Mean and unbiased covariance (like ``np.cov``) of (N, d) features, in float64."""
    x = features.double()
    mu = x.mean(dim=0)
    centred = x - mu
    sigma = centred.T @ centred / max(len(x) - 1, 1)
    return mu, sigma


def _as_float64(value: Any) -> torch.Tensor:
    return torch.as_tensor(value).double()


def trace_sqrt_product(sigma1: torch.Tensor, sigma2: torch.Tensor) -> float:
    """tr(sqrt(S1 S2)) for symmetric PSD S1, S2, through one symmetric eigenvalue problem."""
    s1, s2 = _as_float64(sigma1), _as_float64(sigma2)
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2
    factor, info = torch.linalg.cholesky_ex(s1)
    if int(info) != 0:  # singular S1: its symmetric square root plays the part of L
        values, vectors = torch.linalg.eigh(s1)
        factor = (vectors * values.clamp(min=0).sqrt()) @ vectors.T
    product = factor.T @ s2 @ factor
    eigenvalues = torch.linalg.eigvalsh((product + product.T) / 2)
    return float(eigenvalues.clamp(min=0).sqrt().sum())


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """The Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (clamped at 0 against rounding)."""
    mu1, mu2, sigma1, sigma2 = map(_as_float64, (mu1, mu2, sigma1, sigma2))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ZooError(
            f"statistics do not match: means {tuple(mu1.shape)} / {tuple(mu2.shape)}, "
            f"covariances {tuple(sigma1.shape)} / {tuple(sigma2.shape)}: compute both with the same extractor"
        )
    for value in (mu1, mu2, sigma1, sigma2):
        if not torch.isfinite(value).all():
            raise ZooError("the FID statistics contain NaN or inf: recompute them (delete the cached statistics)")
    diff = mu1 - mu2
    distance = float(diff @ diff) + float(sigma1.trace() + sigma2.trace()) - 2 * trace_sqrt_product(sigma1, sigma2)
    return max(distance, 0.0)


class FID(FeatureMetric):
    """FID on an extractor's pool features; refuses fewer samples than feature dimensions + 1."""

    name = "fid"
    label = "FID"
    feature = POOL

    def __init__(
        self,
        extractor: str | FeatureExtractor = STANDARD_INCEPTION,
        *,
        device: str = "cpu",
        precision: str = "float32",
        allow_few_samples: bool = False,
    ) -> None:
        self.allow_few_samples = allow_few_samples
        super().__init__(extractor, device=device, precision=precision)

    def reset(self) -> None:
        super().reset()
        self._reference: tuple[torch.Tensor, torch.Tensor, int] | None = None

    def set_reference(self, mu: torch.Tensor, sigma: torch.Tensor, n: int) -> None:
        """Use precomputed real statistics (e.g. cached dataset statistics) instead of real features."""
        self._reference = (_as_float64(mu), _as_float64(sigma), int(n))

    def _check_count(self, n: int, dim: int, side: str) -> None:
        """Below dim + 1 samples the covariance is singular and FID is strongly biased: refuse (or warn)."""
        if n > dim:
            return
        message = (
            f"FID on {dim}-d features needs at least {dim + 1} {side} images (the covariance is singular below that), "
            f"got {n}: evaluate more images, or use kid, which is unbiased for small sets"
        )
        if not self.allow_few_samples:
            raise ZooError(message)
        warn(message)

    def _statistics(self, real: bool) -> tuple[torch.Tensor, torch.Tensor, int]:
        if real and self._reference is not None:
            return self._reference
        features = self.features(real, minimum=2)
        mu, sigma = gaussian_statistics(features)
        return mu, sigma, len(features)

    def compute(self) -> Mapping[str, float]:
        """{'fid': value}."""
        mu_fake, sigma_fake, n_fake = self._statistics(real=False)
        mu_real, sigma_real, n_real = self._statistics(real=True)
        self._check_count(n_real, len(mu_real), "real")
        self._check_count(n_fake, len(mu_fake), "generated")
        return {"fid": frechet_distance(mu_real, sigma_real, mu_fake, sigma_fake)}
