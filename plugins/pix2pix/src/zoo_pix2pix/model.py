"""Pix2Pix networks (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with Conditional Adversarial
Networks", arXiv:1611.07004, Appendix 6.1).

Generator: a U-Net. The encoder C64-C128-C256-C512-C512-… halves the size down to 1×1 (log2(resolution)
4×4 stride-2 convs: 6 at 64 px, 8 at 256 px), LeakyReLU(0.2), no norm on the first and last; the decoder
mirrors it with 4×4 stride-2 transposed convs and ReLU, each taking its input concatenated with the
encoder's features of the same size (the skips), dropout 0.5 in its first three blocks, tanh at the end.
Discriminator: the conditional 70×70 PatchGAN (``zoo.layers.patch_discriminator``) on cat(input, output).

Norm: instance norm by default. The paper uses batch norm at batch size 1 with test-time batch statistics,
which is instance norm (its Section 3.3 says so); the authors' code offers ``--norm instance``, and instance
norm keeps that behaviour for batches larger than 1. ``norm="batch"`` builds the code's default instead.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from zoo.interfaces import ImageToImageDiscriminator, ImageToImageGenerator
from zoo.layers import NORMS, conv_bias, init_normal, norm2d, pad_to_multiple, patch_discriminator

MIN_RESOLUTION, MAX_RESOLUTION = 16, 1024
DROPOUT_BLOCKS = 3  # "CD" blocks: the paper's decoder is CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128


def depth_for(resolution: int) -> int:
    """How many stride-2 convs take ``resolution`` down to 1×1: log2(resolution) (64 px: 6, 256 px: 8)."""
    if not (MIN_RESOLUTION <= resolution <= MAX_RESOLUTION) or resolution & (resolution - 1):
        raise ValueError(
            f"the Pix2Pix U-Net needs a power-of-two resolution from {MIN_RESOLUTION} to {MAX_RESOLUTION} "
            f"(it halves the image down to 1×1), got {resolution}"
        )
    return int(math.log2(resolution))


def _check(norm: str, dropout: float) -> None:
    """Refuse settings the networks cannot take, naming the config key."""
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {norm!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


class UNetGenerator(ImageToImageGenerator):
    """(N, in_channels, H, W) in [0, 1] -> (N, channels, H, W) in [0, 1]: a U-Net with one skip per level.

    The paper's tanh output is kept: the image is ``(tanh(y) + 1) / 2``, so ``2 * image - 1`` is exactly the
    network's tanh output for the trainer's [-1, 1] losses; inputs are mapped to [-1, 1] as the paper's.
    Any H and W are taken: they are padded (replicating the edge) to a multiple of ``2**depth`` and the
    output cropped back; the trained size (a multiple already) is never padded.
    In eval mode dropout is off, so a translation is deterministic (the authors' code's ``--eval``); the
    paper also kept dropout on at test time, as its only source of noise.
    """

    def __init__(
        self,
        *,
        resolution: int = 256,
        channels: int = 3,
        in_channels: int = 3,
        width: int = 64,
        norm: str = "instance",
        dropout: float = 0.5,
        d_layers: int = 3,  # the discriminator's key, accepted so that one config builds both networks
    ) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        _check(norm, dropout)
        if width < 1 or channels < 1 or in_channels < 1:
            raise ValueError(f"width, channels and in_channels must be >= 1, got {width}, {channels}, {in_channels}")
        self.depth, self.width, self.norm = depth_for(resolution), width, norm
        widths = [width * min(2**level, 8) for level in range(self.depth)]  # C64-C128-C256-C512-C512-…
        bias = conv_bias(norm)
        down: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 4, 2, 1, bias=bias)]  # C64: no norm
        for level in range(1, self.depth):
            innermost = level == self.depth - 1  # 1×1 output: no norm (a 1×1 map has no statistics)
            block = [nn.LeakyReLU(0.2, True), nn.Conv2d(widths[level - 1], widths[level], 4, 2, 1, bias=bias)]
            down.append(nn.Sequential(*block, *([] if innermost else [norm2d(norm, widths[level])])))
        up: list[nn.Module] = [
            nn.Sequential(nn.ReLU(True), nn.ConvTranspose2d(2 * widths[0], channels, 4, 2, 1), nn.Tanh())
        ]
        for level in range(1, self.depth):
            innermost = level == self.depth - 1
            fed = widths[level] * (1 if innermost else 2)  # every block but the innermost also reads its skip
            block = [nn.ReLU(True), nn.ConvTranspose2d(fed, widths[level - 1], 4, 2, 1, bias=bias)]
            block.append(norm2d(norm, widths[level - 1]))
            if level >= self.depth - DROPOUT_BLOCKS and dropout > 0:  # the decoder's first three blocks
                block.append(nn.Dropout(dropout))
            up.append(nn.Sequential(*block))
        self.down, self.up = nn.ModuleList(down), nn.ModuleList(up)  # index = level, outermost (0) first
        self.apply(init_normal)

    @property
    def skips(self) -> int:
        """How many encoder outputs the decoder concatenates: one per level but the innermost."""
        return self.depth - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        h = pad_to_multiple(x, 2**self.depth) * 2 - 1
        features = []
        for block in self.down:
            h = block(h)
            features.append(h)
        h = self.up[-1](features[-1])
        for level in range(self.depth - 2, -1, -1):
            h = self.up[level](torch.cat([features[level], h], 1))  # [skip, decoded], as the authors' code
        return (h[..., :height, :width] + 1) / 2


class PatchDiscriminator(ImageToImageDiscriminator):
    """The conditional 70×70 PatchGAN: D(cat(condition, x)) -> logits (N, 1, H / 2**d_layers − 2, same), in [-1, 1].

    It sees the input image beside the real or translated one (in_channels + channels channels), as the paper's
    conditional GAN; ``d_layers`` stride-2 convs give patches of 16, 34, 70 (3, the paper's) or 142 px.
    """

    conditional = True

    def __init__(
        self,
        *,
        resolution: int = 256,
        channels: int = 3,
        in_channels: int = 3,
        width: int = 64,
        norm: str = "instance",
        d_layers: int = 3,
    ) -> None:
        super().__init__(resolution=resolution, channels=channels, in_channels=in_channels)
        _check(norm, 0.0)
        if resolution < 3 * 2**d_layers:
            raise ValueError(f"d_layers={d_layers} leaves no patch of a {resolution}-px image: use fewer layers")
        self.layers = d_layers
        self.net = patch_discriminator(in_channels + channels, width, d_layers, norm)
        self.apply(init_normal)

    def forward(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        if condition is None:
            raise ValueError("the Pix2Pix discriminator is conditional: pass the input image as condition")
        return self.net(torch.cat([condition, x], 1))
