"""The common part of feature-based metrics: an extractor by name, features accumulated per side."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from zoo.errors import ZooError
from zoo.interfaces import Metric
from zoo.metrics.extractors import POOL, STANDARD_INCEPTION, FeatureExtractor, build_extractor, check_finite


class FeatureMetric(Metric):
    """Compares features of real and generated images; ``update`` runs the extractor, ``update_features`` skips it.

    ``extractor`` is a registered name (built on first use, so constructing a metric is cheap) or
    an already built extractor shared between metrics, so ``zoo eval`` extracts each image once.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    feature: ClassVar[str] = POOL
    needs_real: ClassVar[bool] = True
    needs_labels: ClassVar[bool] = False  # reads features[LABELS] too (per-class metrics)

    def __init__(
        self, extractor: str | FeatureExtractor = STANDARD_INCEPTION, *, device: str = "cpu", precision: str = "float32"
    ) -> None:
        self._extractor = extractor
        self._device, self._precision = device, precision
        self.reset()

    @property
    def extractor_name(self) -> str:
        return self._extractor if isinstance(self._extractor, str) else self._extractor.name

    @property
    def extractor(self) -> FeatureExtractor:
        """The extractor, built on first use."""
        if isinstance(self._extractor, str):
            self._extractor = build_extractor(self._extractor, device=self._device, precision=self._precision)
        return self._extractor

    def reset(self) -> None:
        self._features: dict[bool, list[torch.Tensor]] = {True: [], False: []}

    def update(self, images: torch.Tensor, *, real: bool) -> None:
        """Extract features of uint8 images (N, 3, H, W) and add them to one side."""
        if real and not self.needs_real:
            return
        self.update_features(self.extractor(images, (self.feature,)), real=real)

    def update_features(self, features: Mapping[str, torch.Tensor] | torch.Tensor, *, real: bool) -> None:
        """Add already extracted features (a tensor, or a mapping holding this metric's output)."""
        if real and not self.needs_real:
            return
        tensor = features if torch.is_tensor(features) else features[self.feature]
        if tensor.ndim != 2:
            raise ZooError(f"{self.name}: features must have shape (N, dim), got {tuple(tensor.shape)}")
        side = self._features[real]
        if side and side[0].shape[1] != tensor.shape[1]:
            raise ZooError(
                f"{self.name}: features of dimension {tensor.shape[1]} after {side[0].shape[1]}: use one extractor"
            )
        side.append(check_finite(tensor.detach().float().cpu(), self.extractor_name))

    def count(self, real: bool) -> int:
        """Number of images accumulated on one side."""
        return sum(len(t) for t in self._features[real])

    def features(self, real: bool, minimum: int = 1) -> torch.Tensor:
        """All features of one side, or a ZooError if there are fewer than ``minimum``."""
        n = self.count(real)
        if n < minimum:
            side = "real" if real else "generated"
            raise ZooError(f"{self.name} needs at least {minimum} {side} images, got {n}: evaluate more images")
        return torch.cat(self._features[real])

    def protocol(self) -> dict[str, Any]:
        """Settings that change this metric's value, stored next to it."""
        return {}
