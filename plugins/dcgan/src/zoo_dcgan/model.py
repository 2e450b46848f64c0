"""DCGAN networks (Radford, Metz & Chintala 2015, "Unsupervised Representation Learning with
Deep Convolutional Generative Adversarial Networks", arXiv:1511.06434).

Generator: a 4×4 transposed-conv projection of z, then stride-2 transposed convs that double
the resolution, batch norm and ReLU in between, tanh at the end. Discriminator: stride-2 convs
with LeakyReLU(0.2), batch norm on every layer but the first, one logit at the end.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from zoo.interfaces import Discriminator as BaseDiscriminator
from zoo.interfaces import Generator as BaseGenerator

RESOLUTIONS = (32, 64)


def _upsamplings(resolution: int) -> int:
    """Number of stride-2 stages between the 4×4 base and ``resolution``."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"DCGAN supports resolution {' or '.join(map(str, RESOLUTIONS))}, not {resolution}")
    return int(math.log2(resolution)) - 2


def init_weights(module: nn.Module) -> None:
    """The paper's initialisation: N(0, 0.02) convs, N(1, 0.02) batch-norm scales."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class Generator(BaseGenerator):
    """z (N, z_dim) -> image (N, channels, resolution, resolution) in [-1, 1]."""

    def __init__(self, resolution: int = 32, z_dim: int = 100, width: int = 64, channels: int = 3) -> None:
        super().__init__(z_dim=z_dim, resolution=resolution, channels=channels)
        stages = _upsamplings(resolution)
        ch = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, ch, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(stages - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.z_dim, 1, 1))


class Discriminator(BaseDiscriminator):
    """image (N, channels, resolution, resolution) -> logits (N,)."""

    def __init__(self, resolution: int = 32, width: int = 64, channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels)
        stages = _upsamplings(resolution)
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        ch = width
        for _ in range(stages - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 4, 1, 0, bias=False)]
        self.net = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).flatten()
