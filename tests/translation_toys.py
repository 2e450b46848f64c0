"""Toy image-to-image networks for the translation tests: a few convolutions, so a training step takes milliseconds.

A one-way translator with a conditional patch critic (Pix2Pix's shape) and a two-way pair with one critic per
direction (CycleGAN's), registered under names a test chooses with :func:`toy_plugin`.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn
from zoo import ArchitectureSpec, hookimpl
from zoo.interfaces import ImageToImageDiscriminator, ImageToImageGenerator

CONFIG = {"resolution": 16, "channels": 3, "in_channels": 3}


class _Net(nn.Module):
    """Two convolutions and a sigmoid: [0, 1] in, [0, 1] out."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(8, c_out, 3, padding=1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(x * 2 - 1))


def patch_critic(c_in: int) -> nn.Module:
    """Logits for 4x4-pixel patches: (N, 1, H/4, W/4)."""
    return nn.Sequential(nn.Conv2d(c_in, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(8, 1, 4, 2, 1))


class OneWay(ImageToImageGenerator):
    def __init__(self, resolution: int = 16, channels: int = 3, in_channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        self.net = _Net(in_channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConditionalCritic(ImageToImageDiscriminator):
    conditional = True

    def __init__(self, resolution: int = 16, channels: int = 3, in_channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        self.net = patch_critic(in_channels + channels)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(torch.cat([condition, x], dim=1))


class TwoWay(ImageToImageGenerator):
    directions = ("a2b", "b2a")

    def __init__(self, resolution: int = 16, channels: int = 3, in_channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        self.a2b, self.b2a = _Net(in_channels, channels), _Net(channels, in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a2b(x)

    def translator(self, direction: str) -> nn.Module:
        return {"a2b": self.a2b, "b2a": self.b2a}[direction]


class TwoCritics(ImageToImageDiscriminator):
    directions = ("a2b", "b2a")

    def __init__(self, resolution: int = 16, channels: int = 3, in_channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        self.d_b, self.d_a = patch_critic(channels), patch_critic(in_channels)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self.d_b(x)

    def critic(self, direction: str) -> nn.Module:
        return {"a2b": self.d_b, "b2a": self.d_a}[direction]


def toy_plugin(
    families: Iterable[tuple[str, str, str, Mapping[str, Any]]],
    config: Mapping[str, Any] = CONFIG,
    module: str = __name__,
) -> types.ModuleType:
    """A plugin registering each (name, generator class, discriminator class, default recipe) of ``module``."""
    plugin = types.ModuleType(f"toy_translators_{id(families)}")
    chosen = tuple(families)

    @hookimpl
    def register_architectures(register):  # type: ignore[no-untyped-def]
        for name, generator, discriminator, recipe in chosen:
            register(
                ArchitectureSpec(
                    name=name, task="image-to-image", generator=f"{module}:{generator}",
                    discriminator=f"{module}:{discriminator}", default_config=config, recipes={"default": recipe},
                )
            )  # fmt: skip

    plugin.register_architectures = register_architectures
    return plugin
