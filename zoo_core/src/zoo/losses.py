"""Adversarial losses on raw logits, registered by the core like any plugin's.

Non-saturating BCE (Goodfellow et al. 2014), hinge (Lim & Ye 2017; Miyato et al. 2018),
Wasserstein (Arjovsky et al. 2017), least squares (Mao et al. 2017).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo.interfaces import Loss, Regulariser


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


def _input_gradients(inputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """d(sum of logits)/d(inputs), kept in the graph so the penalty can be back-propagated."""
    (grad,) = torch.autograd.grad(logits.float().sum(), inputs, create_graph=True)
    return grad.flatten(1).float()


class GradientPenalty(Regulariser):
    """WGAN-GP (Gulrajani et al. 2017): (‖∇D(x̂)‖ − 1)² at random interpolates of real and fake."""

    name = "gp"

    def inputs(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
        return (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)

    def penalty(self, inputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        return ((_input_gradients(inputs, logits).norm(2, dim=1) - 1) ** 2).mean()


class R1Penalty(Regulariser):
    """R1 (Mescheder et al. 2018): ½‖∇D(x)‖² on real images; multiply by γ via the weight."""

    name = "r1"

    def inputs(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return real

    def penalty(self, inputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * _input_gradients(inputs, logits).pow(2).sum(dim=1).mean()


def orthogonal_regularisation(module: torch.nn.Module) -> torch.Tensor:
    """Σ_W ‖W Wᵀ ⊙ (1 − I)‖²_F over weight matrices: BigGAN's modified orthogonal regulariser (Brock et al. 2018, §3.1).

    W is each weight with ≥ 2 dimensions reshaped to (filters, fan-in), taken *before* spectral
    normalisation (the parametrisation's ``original``). Only the filters' mutual cosine-like
    overlaps are penalised, not their norms. Embedding tables are excluded: they are lookups,
    not filter banks, and the authors' code leaves BigGAN's shared class embedding out too.
    """
    embeddings = {id(p) for m in module.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    total = torch.zeros((), device=next(module.parameters()).device)
    for param in module.parameters():
        if param.ndim < 2 or id(param) in embeddings or not param.requires_grad:
            continue
        w = param.float().flatten(1)
        gram = w @ w.T
        total = total + (gram - torch.diag_embed(torch.diagonal(gram))).pow(2).sum()
    return total
