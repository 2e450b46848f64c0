"""Density and coverage (Naeem, Oh, Uh, Choi & Yoo 2020, "Reliable fidelity and diversity metrics
for generative models").

Both use only the real manifold, approximated by balls around every real sample with radius the
distance to its k-th nearest real neighbour (k = 5, the sample itself excluded), because real
samples, unlike generated ones, contain no outliers that inflate the balls:

- density = (1 / kM) Σ_j Σ_i 1[fake_j inside ball_i]: how many real neighbourhoods each generated
  sample falls in, 1 on average when the two distributions match (it may exceed 1);
- coverage = (1 / N) Σ_i 1[some fake_j inside ball_i]: the fraction of real neighbourhoods that
  hold at least one generated sample, in [0, 1].

"Inside" is a strict ``<``, as in the authors' ``prdc`` package. Distances are computed in float64
(row blocks, never a full N x M matrix) so no sample moves across a ball's edge by rounding and the
values equal ``prdc``'s on identical features.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from zoo.metrics.precision_recall import BLOCK, NeighbourMetric, knn_radii


def density_coverage(fake: torch.Tensor, real: torch.Tensor, k: int = 5) -> tuple[float, float]:
    """(density, coverage) of generated ``fake`` features against ``real`` ones, with k nearest neighbours."""
    fake, real = fake.double(), real.double()
    radii = knn_radii(real, k)
    inside_count = torch.zeros(len(fake), dtype=torch.float64)
    nearest_fake = torch.full((len(real),), float("inf"), dtype=torch.float64)
    for start in range(0, len(real), BLOCK):
        distances = torch.cdist(real[start : start + BLOCK], fake)  # (block, M)
        inside_count += (distances < radii[start : start + BLOCK, None]).sum(dim=0)
        nearest_fake[start : start + BLOCK] = distances.min(dim=1).values
    density = float(inside_count.sum()) / (k * len(fake))
    coverage = float((nearest_fake < radii).double().mean())
    return density, coverage


class DensityCoverage(NeighbourMetric):
    """Density and coverage with k nearest neighbours (k = 5, as in Naeem et al. 2020)."""

    name = "dc"
    label = "Density/Coverage"
    default_k = 5
    what = "density/coverage"

    def compute(self) -> Mapping[str, float]:
        """{'density': d, 'coverage': c}."""
        density, coverage = density_coverage(
            self.features(real=False, minimum=1), self.features(real=True, minimum=self.k + 1), self.k
        )
        return {"density": density, "coverage": coverage}

    def protocol(self) -> dict[str, Any]:
        return {"dc_k": self.k}
