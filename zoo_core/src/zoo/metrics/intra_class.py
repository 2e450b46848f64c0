"""Intra-class FID (Miyato & Koyama 2018, "cGANs with projection discriminator", §5.1): the FID
between generated and real images of each class, and its mean over classes.

A class-conditional model can score a good FID while drawing the wrong class for a label; FID per
class catches that. Each class needs more samples than feature dimensions (the covariance must be
full rank), so ``zoo eval`` draws generated labels balanced over classes and the per-class count
is about n / classes. The Fréchet distance is the same float64 computation as FID's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from zoo.errors import ZooError
from zoo.metrics.base import FeatureMetric
from zoo.metrics.extractors import LABELS, POOL
from zoo.metrics.frechet import frechet_distance, gaussian_statistics


def per_class_key(label: int) -> str:
    """The result key of one class's FID ('ifid_class_3')."""
    return f"ifid_class_{label}"


def intra_class_fid(
    fake: torch.Tensor, fake_labels: torch.Tensor, real: torch.Tensor, real_labels: torch.Tensor
) -> dict[int, float]:
    """FID per class present in the real labels; every class needs more samples than dimensions on both sides."""
    dim = real.shape[1]
    classes = sorted(int(c) for c in real_labels.unique())
    short = []
    for c in classes:
        counts = int((fake_labels == c).sum()), int((real_labels == c).sum())
        if min(counts) <= dim:
            short.append(f"class {c}: {counts[0]} generated, {counts[1]} real")
    if short:
        raise ZooError(
            f"intra-class FID on {dim}-d features needs more than {dim} images of each class on each side "
            f"({'; '.join(short[:3])}{'; …' if len(short) > 3 else ''}): evaluate more images (-n, --n-real)"
        )
    values = {}
    for c in classes:
        mu_fake, sigma_fake = gaussian_statistics(fake[fake_labels == c])
        mu_real, sigma_real = gaussian_statistics(real[real_labels == c])
        values[c] = frechet_distance(mu_real, sigma_real, mu_fake, sigma_fake)
    return values


class IntraClassFID(FeatureMetric):
    """FID per class on an extractor's pool features: {'ifid': mean, 'ifid_class_C': value per class}."""

    name = "ifid"
    label = "intra-class FID"
    feature = POOL
    needs_labels = True

    def reset(self) -> None:
        super().reset()
        self._labels: dict[bool, list[torch.Tensor]] = {True: [], False: []}

    def update(self, images: torch.Tensor, *, real: bool, labels: torch.Tensor | None = None) -> None:  # type: ignore[override]
        """Extract features of uint8 images (N, 3, H, W) with their class labels (N,) and add them to one side."""
        if labels is None:
            raise ZooError("intra-class FID needs the class label of every image: pass labels=")
        self.update_features({POOL: self.extractor(images, (POOL,))[POOL], LABELS: labels}, real=real)

    def update_features(self, features: Mapping[str, torch.Tensor] | torch.Tensor, *, real: bool) -> None:
        """Add features with their labels: a mapping holding the pool features and LABELS."""
        if torch.is_tensor(features) or LABELS not in features:
            raise ZooError("intra-class FID needs the class label of every image: evaluate a class-conditional model")
        labels = torch.as_tensor(features[LABELS]).reshape(-1).long().cpu()
        if len(labels) != len(features[self.feature]):
            raise ZooError(f"{len(labels)} labels for {len(features[self.feature])} feature rows: give one per image")
        super().update_features(features, real=real)
        self._labels[real].append(labels)

    def compute(self) -> Mapping[str, float]:
        """{'ifid': mean over classes, 'ifid_class_C': FID of class C, …}."""
        fake, real = self.features(real=False, minimum=2), self.features(real=True, minimum=2)
        per_class = intra_class_fid(fake, torch.cat(self._labels[False]), real, torch.cat(self._labels[True]))
        mean = sum(per_class.values()) / len(per_class)
        return {"ifid": mean, **{per_class_key(c): v for c, v in per_class.items()}}

    def protocol(self) -> dict[str, Any]:
        return {"ifid": "FID per class of the real labels, mean over classes; generated labels balanced"}
