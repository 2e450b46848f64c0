"""SAGAN networks (Zhang et al. 2018) at 32 or 64 px.

Both networks are spectrally normalised (Miyato et al. 2018). The generator's batch norm is
conditioned on the class (de Vries et al. 2017) and a self-attention block sits at 16×16 (32 px)
or 32×32 (64 px). The discriminator adds the projection term ⟨embed(y), h⟩ to its linear output
(Miyato & Koyama 2018).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from zoo.interfaces import TASK_CONDITIONAL, TASK_UNCONDITIONAL
from zoo.interfaces import Discriminator as BaseDiscriminator
from zoo.interfaces import Generator as BaseGenerator
from zoo.layers import DiscriminatorBlock, GeneratorBlock, SelfAttention, conv3x3, maybe_sn, projection_logits


def _stages(resolution: int) -> int:
    if resolution not in (32, 64):
        raise ValueError(f"SAGAN supports resolution 32 or 64, not {resolution}")
    return int(math.log2(resolution)) - 2


class Generator(BaseGenerator):
    """(z, class) -> images in [-1, 1]; unconditional when num_classes is 0."""

    def __init__(
        self, resolution: int = 32, z_dim: int = 128, width: int = 64, channels: int = 3, num_classes: int = 10
    ) -> None:
        super().__init__(z_dim=z_dim, resolution=resolution, channels=channels, num_classes=num_classes)
        stages = _stages(resolution)
        self.task = TASK_CONDITIONAL if num_classes else TASK_UNCONDITIONAL
        widths = [width * 2 ** (stages - i) for i in range(stages + 1)]  # e.g. 512, 256, 128, 64
        self.base = widths[0]
        self.linear = maybe_sn(nn.Linear(z_dim, 4 * 4 * widths[0]), True)
        self.blocks = nn.ModuleList(
            GeneratorBlock(widths[i], widths[i + 1], cond_dim=num_classes, sn=True) for i in range(stages)
        )
        self.attention_after = stages - 2  # attention at resolution / 2
        self.attention = SelfAttention(widths[stages - 1], sn=True)
        self.bn = nn.BatchNorm2d(widths[-1])
        self.to_rgb = conv3x3(widths[-1], channels, sn=True)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        cond = F.one_hot(y, self.num_classes).to(z.dtype) if self.num_classes else None
        h = self.linear(z).view(z.shape[0], self.base, 4, 4)
        for index, block in enumerate(self.blocks):
            h = block(h, cond)
            if index == self.attention_after:
                h = self.attention(h)
        return torch.tanh(self.to_rgb(F.relu(self.bn(h))))


class Discriminator(BaseDiscriminator):
    """(images, class) -> logits; the class enters through the projection term."""

    def __init__(self, resolution: int = 32, width: int = 64, channels: int = 3, num_classes: int = 10) -> None:
        super().__init__(resolution=resolution, channels=channels, num_classes=num_classes)
        stages = _stages(resolution)
        widths = [width * 2**i for i in range(stages + 1)]  # e.g. 64, 128, 256, 512
        blocks: list[nn.Module] = [
            DiscriminatorBlock(channels, widths[0], first=True, sn=True),
            SelfAttention(widths[0], sn=True),
        ]
        blocks += [DiscriminatorBlock(widths[i], widths[i + 1], sn=True) for i in range(stages - 1)]
        blocks += [DiscriminatorBlock(widths[stages - 1], widths[stages - 1], downsample=False, sn=True)]
        self.blocks = nn.Sequential(*blocks)
        self.linear = maybe_sn(nn.Linear(widths[stages - 1], 1), True)
        self.embed = maybe_sn(nn.Embedding(num_classes, widths[stages - 1]), True) if num_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        return projection_logits(h, self.linear, self.embed, y)
