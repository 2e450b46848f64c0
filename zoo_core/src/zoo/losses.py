"""Adversarial losses on raw logits, registered by the core like any plugin's.

Non-saturating BCE (Goodfellow et al. 2014), hinge (Lim & Ye 2017; Miyato et al. 2018),
Wasserstein (Arjovsky et al. 2017), least squares (Mao et al. 2017).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo.interfaces import Loss


class NonSaturatingLoss(Loss):
    """BCE on logits; G maximises log D(G(z)) instead of minimising log(1 - D(G(z)))."""

    name = "bce"

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_logits).mean()


class HingeLoss(Loss):
    """D: mean(relu(1 - real)) + mean(relu(1 + fake)); G: -mean(fake)."""

    name = "hinge"

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


class WassersteinLoss(Loss):
    """Critic estimates the Wasserstein-1 distance; pair it with a gradient penalty or clipping."""

    name = "wasserstein"

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return fake_logits.mean() - real_logits.mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


class LeastSquaresLoss(Loss):
    """LSGAN with targets a=0 (fake), b=c=1 (real)."""

    name = "lsgan"

    def d_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()

    def g_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake_logits - 1) ** 2).mean()
