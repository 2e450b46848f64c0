"""The perceptual losses of Gatys et al. 2016 and Johnson et al. 2016: content, Gram-matrix style, total variation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from zoo_style_transfer.loss_weights import LossWeights

if TYPE_CHECKING:
    from zoo_style_transfer.features import FeatureNet


def gram(features: torch.Tensor) -> torch.Tensor:
    """(N, C, C) Gram matrices normalised by C·H·W, so layers of different sizes weigh alike (Gatys eq. 3)."""
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w).float()
    return flat @ flat.transpose(1, 2) / (c * h * w)


def total_variation(images: torch.Tensor) -> torch.Tensor:
    """Summed squared differences of neighbouring pixels per image: a smoothness prior (Mahendran & Vedaldi 2015)."""
    dy = (images[..., 1:, :] - images[..., :-1, :]).pow(2).sum(dim=(1, 2, 3))
    dx = (images[..., :, 1:] - images[..., :, :-1]).pow(2).sum(dim=(1, 2, 3))
    return (dx + dy).mean()


class PerceptualLoss(nn.Module):
    """Content + style + TV loss against a fixed style image; content targets are passed per call."""

    def __init__(self, features: FeatureNet, style: torch.Tensor, weights: LossWeights) -> None:
        super().__init__()
        self.features, self.weights = features, weights.resolved(features.default_weights)
        with torch.no_grad():
            targets = features(style)
        self.style_grams = {layer: gram(targets[layer]) for layer in features.layers.style}

    @torch.no_grad()
    def content_targets(self, content: torch.Tensor) -> dict[str, torch.Tensor]:
        """The content image's activations at the content layers (the targets never need gradients)."""
        found = self.features(content)
        return {layer: found[layer].detach() for layer in self.features.layers.content}

    def forward(self, images: torch.Tensor, content_targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Weighted terms and their sum ('total') for ``images`` in [0, 1]."""
        found = self.features(images)
        content = sum(F.mse_loss(found[k].float(), v.float()) for k, v in content_targets.items())
        style = sum(F.mse_loss(gram(found[k]), g.expand(images.shape[0], -1, -1)) for k, g in self.style_grams.items())
        w = self.weights
        terms = {
            "content": w.content * content,  # type: ignore[operator]
            "style": w.style * style,  # type: ignore[operator]
            "tv": w.tv * total_variation(images.float()),  # type: ignore[operator]
        }
        terms["total"] = terms["content"] + terms["style"] + terms["tv"]
        return terms
