"""The CIFAR-10 ResNet of WGAN-GP (Gulrajani et al. 2017, Appendix F).

Generator: linear to 4×4×width, three up-sampling residual blocks (batch norm), BN-ReLU-conv-tanh.
Critic: an "optimised" down block, a down block, two plain blocks, ReLU, global mean pool,
linear. No batch norm in the critic: the gradient penalty is per sample.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from zoo.interfaces import Discriminator
from zoo.interfaces import Generator as BaseGenerator
from zoo.layers import DiscriminatorBlock, GeneratorBlock, conv3x3


def _stages(resolution: int) -> int:
    if resolution not in (32, 64):
        raise ValueError(f"WGAN-GP supports resolution 32 or 64, not {resolution}")
    return int(math.log2(resolution)) - 2


class Generator(BaseGenerator):
    """z (N, z_dim) -> images (N, 3, R, R) in [-1, 1]."""

    def __init__(self, resolution: int = 32, z_dim: int = 128, width: int = 128, channels: int = 3) -> None:
        super().__init__(z_dim=z_dim, resolution=resolution, channels=channels)
        self.width = width
        self.linear = nn.Linear(z_dim, 4 * 4 * width)
        self.blocks = nn.ModuleList(GeneratorBlock(width, width) for _ in range(_stages(resolution)))
        self.bn = nn.BatchNorm2d(width)
        self.to_rgb = conv3x3(width, channels, sn=False)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.linear(z).view(z.shape[0], self.width, 4, 4)
        for block in self.blocks:
            h = block(h)
        return torch.tanh(self.to_rgb(F.relu(self.bn(h))))


class Critic(Discriminator):
    """images -> one unbounded score per image."""

    def __init__(self, resolution: int = 32, width: int = 128, channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels)
        downs = _stages(resolution) - 1
        blocks = [DiscriminatorBlock(channels, width, first=True)]
        blocks += [DiscriminatorBlock(width, width) for _ in range(downs - 1)]
        blocks += [DiscriminatorBlock(width, width, downsample=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self.blocks(x)).mean(dim=(2, 3))
        return self.linear(h).flatten()
