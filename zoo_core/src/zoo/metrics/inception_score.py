"""Inception Score (Salimans et al. 2016, "Improved techniques for training GANs").

IS = exp(E_x KL(p(y|x) || p(y))), computed on generated images only, in 10 splits (mean and std).
As in the original TensorFlow code (and torch-fidelity), the class probabilities are the softmax of
the 1008 Inception logits *without* the fc bias, samples are shuffled with
``numpy.random.RandomState(seed).permutation`` first, and split i is rows [i*N//s, (i+1)*N//s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from zoo.errors import ZooError
from zoo.metrics.base import FeatureMetric
from zoo.metrics.extractors import LOGITS, STANDARD_INCEPTION, FeatureExtractor


def inception_score(
    logits: torch.Tensor, splits: int = 10, shuffle: bool = True, seed: int = 2020
) -> tuple[float, float]:
    """(mean, std) over ``splits`` of exp(mean KL(p(y|x) || p(y))), from (N, classes) logits."""
    n = len(logits)
    if n < splits:
        raise ZooError(f"the Inception Score in {splits} splits needs at least {splits} generated images, got {n}")
    if shuffle:
        logits = logits[torch.from_numpy(np.random.RandomState(seed).permutation(n))]
    log_p = torch.log_softmax(logits.double(), dim=1)
    scores = []
    for index in range(splits):
        chunk = log_p[index * n // splits : (index + 1) * n // splits]
        log_marginal = torch.logsumexp(chunk, dim=0) - np.log(len(chunk))
        kl = (chunk.exp() * (chunk - log_marginal)).sum(dim=1).mean()
        scores.append(float(kl.exp()))
    return float(np.mean(scores)), float(np.std(scores))


class InceptionScore(FeatureMetric):
    """IS mean and std over splits, on an extractor's logits (generated images only)."""

    name = "is"
    label = "IS"
    feature = LOGITS
    needs_real = False

    def __init__(
        self,
        extractor: str | FeatureExtractor = STANDARD_INCEPTION,
        *,
        device: str = "cpu",
        precision: str = "float32",
        splits: int = 10,
        seed: int = 2020,
    ) -> None:
        if splits < 1:
            raise ZooError(f"the Inception Score needs splits >= 1, got {splits}")
        self.splits, self.seed = splits, seed
        super().__init__(extractor, device=device, precision=precision)

    def compute(self) -> Mapping[str, float]:
        """{'is': mean, 'is_std': std}."""
        mean, std = inception_score(self.features(real=False, minimum=self.splits), self.splits, seed=self.seed)
        return {"is": mean, "is_std": std}

    def protocol(self) -> dict[str, Any]:
        return {"is_splits": self.splits, "is_seed": self.seed}
