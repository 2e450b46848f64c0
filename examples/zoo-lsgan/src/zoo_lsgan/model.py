"""Tiny conv networks for the example plugin: three stride-2 stages each way, 32 px."""

from __future__ import annotations

import torch
from torch import nn
from zoo.interfaces import Discriminator as BaseDiscriminator
from zoo.interfaces import Generator as BaseGenerator


class Generator(BaseGenerator):
    """z -> 4x4 feature map -> three upsampling convs -> tanh image."""

    def __init__(self, resolution: int = 32, z_dim: int = 64, width: int = 32, channels: int = 3) -> None:
        super().__init__(z_dim=z_dim, resolution=resolution, channels=channels)
        if resolution != 32:
            raise ValueError(f"lsgan-tiny generates 32 px images only, not {resolution}")
        self.width = width
        self.project = nn.Linear(z_dim, 4 * width * 16)
        layers: list[nn.Module] = []
        for scale in (4, 2):
            layers += [nn.Upsample(scale_factor=2), nn.Conv2d(scale * width, scale * width // 2, 3, padding=1)]
            layers += [nn.BatchNorm2d(scale * width // 2), nn.ReLU()]
        layers += [nn.Upsample(scale_factor=2), nn.Conv2d(width, channels, 3, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self.project(z).view(-1, 4 * self.width, 4, 4))


class Discriminator(BaseDiscriminator):
    """Three stride-2 convs with LeakyReLU, then one linear score per image."""

    def __init__(self, resolution: int = 32, width: int = 32, channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels)
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(4 * width * (resolution // 8) ** 2, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)
