"""CycleGAN networks (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", arXiv:1703.10593, Section 4 and Appendix 7.2).

Each generator is Johnson et al. 2016's ResNet: c7s1-64, d128, d256, R256 × n_blocks, u128, u64, c7s1-3
(reflection padding, instance norm, ReLU, tanh); 6 residual blocks for 128-px training images and 9 for
256 px and larger, as the paper says. Each critic is Pix2Pix's 70×70 PatchGAN (``zoo.layers``), unconditional.
Two-way: ``CycleGANGenerator`` holds G (``a2b``) and F (``b2a``); ``CycleGANDiscriminator`` holds D_B, which
judges a2b's outputs, and D_A, which judges b2a's.
"""

from __future__ import annotations

import torch
from torch import nn
from zoo.interfaces import DIRECTIONS, ImageToImageDiscriminator, ImageToImageGenerator
from zoo.layers import init_normal, norm2d, pad_to_multiple, patch_discriminator

NORM = "instance"  # the paper's; with it every conv has a bias, as in the authors' code
STRIDE = 4  # two stride-2 convs: any H and W is padded to a multiple of this and cropped back


def blocks_for(resolution: int) -> int:
    """The paper's residual blocks: 9 for 256-px training images or larger, 6 below (its 128-px sets)."""
    return 9 if resolution >= 256 else 6


def _check_direction(direction: str, owner: str) -> None:
    """Name the directions a two-way model has when asked for another."""
    if direction not in DIRECTIONS:
        raise ValueError(f"{owner} translates {' and '.join(DIRECTIONS)}, not {direction!r}")


class ResidualBlock(nn.Module):
    """R256: two 3×3 convs (reflection padding, instance norm, ReLU between) and an identity skip."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            norm2d(NORM, channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            norm2d(NORM, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _conv_norm_relu(conv: nn.Module, channels: int) -> list[nn.Module]:
    return [conv, norm2d(NORM, channels), nn.ReLU(True)]


class ResnetTranslator(nn.Module):
    """One direction: (N, in_channels, H, W) in [0, 1] -> (N, out_channels, H, W) in [0, 1], any H and W.

    Inputs go to [-1, 1] as the paper's; the output is ``(tanh(y) + 1) / 2``, the paper's tanh on [0, 1].
    """

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, n_blocks: int = 9) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), *_conv_norm_relu(nn.Conv2d(in_channels, width, 7), width)]
        layers += _conv_norm_relu(nn.Conv2d(width, 2 * width, 3, 2, 1), 2 * width)  # d128
        layers += _conv_norm_relu(nn.Conv2d(2 * width, 4 * width, 3, 2, 1), 4 * width)  # d256
        layers += [ResidualBlock(4 * width) for _ in range(n_blocks)]  # R256 × n_blocks
        layers += _conv_norm_relu(nn.ConvTranspose2d(4 * width, 2 * width, 3, 2, 1, output_padding=1), 2 * width)
        layers += _conv_norm_relu(nn.ConvTranspose2d(2 * width, width, 3, 2, 1, output_padding=1), width)  # u64
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh()]  # c7s1-3
        self.net = nn.Sequential(*layers)
        self.in_channels, self.channels = in_channels, out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        y = self.net(pad_to_multiple(x, STRIDE) * 2 - 1)
        return (y[..., :height, :width] + 1) / 2


class CycleGANGenerator(ImageToImageGenerator):
    """G: A -> B (``a2b``, also ``forward``) and F: B -> A (``b2a``), each a ResNet translator.

    A has ``in_channels`` channels and B ``channels``; ``n_blocks`` 0 picks the paper's count for ``resolution``.
    """

    directions = DIRECTIONS

    def __init__(
        self,
        *,
        resolution: int = 256,
        channels: int = 3,
        in_channels: int = 3,
        width: int = 64,
        n_blocks: int = 0,
        d_layers: int = 3,  # the discriminator's key, accepted so that one config builds both networks
    ) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        if resolution < 16 or resolution % STRIDE:
            raise ValueError(f"CycleGAN needs a resolution of at least 16 and a multiple of 4, not {resolution}")
        if width < 1 or channels < 1 or in_channels < 1 or n_blocks < 0:
            raise ValueError(
                f"width, channels and in_channels must be >= 1 and n_blocks >= 0, got {width}, {channels}, "
                f"{in_channels}, {n_blocks}"
            )
        self.n_blocks = n_blocks or blocks_for(resolution)
        self.a2b = ResnetTranslator(in_channels, channels, width, self.n_blocks)
        self.b2a = ResnetTranslator(channels, in_channels, width, self.n_blocks)
        self.apply(init_normal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a2b(x)

    def translator(self, direction: str) -> nn.Module:
        _check_direction(direction, type(self).__name__)
        return self.a2b if direction == "a2b" else self.b2a


class PatchCritic(nn.Module):
    """One unconditional 70×70 PatchGAN: images in [-1, 1] -> logits (N, 1, H / 2**layers − 2, same)."""

    def __init__(self, channels: int, width: int = 64, layers: int = 3) -> None:
        super().__init__()
        self.net = patch_discriminator(channels, width, layers, NORM)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """``condition`` is ignored: CycleGAN's critics see only the images they judge."""
        return self.net(x)


class CycleGANDiscriminator(ImageToImageDiscriminator):
    """D_B judges a2b's outputs (B, ``channels`` channels; also ``forward``); D_A judges b2a's (A, ``in_channels``)."""

    conditional = False
    directions = DIRECTIONS

    def __init__(
        self, *, resolution: int = 256, channels: int = 3, in_channels: int = 3, width: int = 64, d_layers: int = 3
    ) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        if resolution < 3 * 2**d_layers:
            raise ValueError(f"d_layers={d_layers} leaves no patch of a {resolution}-px image: use fewer layers")
        self.d_b = PatchCritic(channels, width, d_layers)
        self.d_a = PatchCritic(in_channels, width, d_layers)
        self.apply(init_normal)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self.d_b(x)

    def critic(self, direction: str) -> nn.Module:
        _check_direction(direction, type(self).__name__)
        return self.d_b if direction == "a2b" else self.d_a
