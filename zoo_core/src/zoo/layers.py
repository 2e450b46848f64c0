"""Building blocks shared by the residual GAN families (WGAN-GP, SAGAN, BigGAN-lite).

Residual generator/discriminator blocks follow Gulrajani et al. 2017 (Appendix F) and Miyato
et al. 2018; self-attention follows Zhang et al. 2018 (SAGAN) with BigGAN's pooled keys;
conditional batch norm follows de Vries et al. 2017 / Miyato & Koyama 2018.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from zoo.errors import ZooError


def maybe_sn(module: nn.Module, enabled: bool) -> nn.Module:
    """Wrap ``module`` in spectral normalisation (Miyato et al. 2018) when ``enabled``."""
    return spectral_norm(module) if enabled else module


def conv3x3(cin: int, cout: int, sn: bool) -> nn.Module:
    return maybe_sn(nn.Conv2d(cin, cout, 3, 1, 1), sn)


def conv1x1(cin: int, cout: int, sn: bool) -> nn.Module:
    return maybe_sn(nn.Conv2d(cin, cout, 1, 1, 0), sn)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose gain and bias are linear functions of a conditioning vector."""

    def __init__(self, channels: int, cond_dim: int, sn: bool = False) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = maybe_sn(nn.Linear(cond_dim, channels, bias=False), sn)
        self.bias = maybe_sn(nn.Linear(cond_dim, channels, bias=False), sn)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gain = 1 + self.gain(cond).view(cond.shape[0], -1, 1, 1)
        bias = self.bias(cond).view(cond.shape[0], -1, 1, 1)
        return self.norm(x) * gain + bias


class GeneratorBlock(nn.Module):
    """BN-ReLU-up-conv-BN-ReLU-conv with a (up + 1×1 conv) shortcut; BN is conditional if cond_dim > 0."""

    def __init__(self, cin: int, cout: int, *, upsample: bool = True, cond_dim: int = 0, sn: bool = False) -> None:
        super().__init__()
        self.upsample, self.conditional = upsample, cond_dim > 0
        self.bn1 = ConditionalBatchNorm2d(cin, cond_dim, sn) if cond_dim else nn.BatchNorm2d(cin)
        self.bn2 = ConditionalBatchNorm2d(cout, cond_dim, sn) if cond_dim else nn.BatchNorm2d(cout)
        self.conv1, self.conv2 = conv3x3(cin, cout, sn), conv3x3(cout, cout, sn)
        self.shortcut = conv1x1(cin, cout, sn) if (cin != cout or upsample) else nn.Identity()

    def _norm(self, norm: nn.Module, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return norm(x, cond) if self.conditional else norm(x)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self._norm(self.bn1, x, cond))
        if self.upsample:
            h, x = (
                F.interpolate(h, scale_factor=2.0, mode="nearest"),
                F.interpolate(x, scale_factor=2.0, mode="nearest"),
            )
        h = self.conv2(F.relu(self._norm(self.bn2, self.conv1(h), cond)))
        return h + self.shortcut(x)


class DiscriminatorBlock(nn.Module):
    """(ReLU)-conv-ReLU-conv-(avgpool) with a 1×1 shortcut; the first block skips the leading ReLU."""

    def __init__(self, cin: int, cout: int, *, downsample: bool = True, first: bool = False, sn: bool = False) -> None:
        super().__init__()
        self.downsample, self.first = downsample, first
        self.conv1, self.conv2 = conv3x3(cin, cout, sn), conv3x3(cout, cout, sn)
        self.shortcut = conv1x1(cin, cout, sn) if (cin != cout or downsample) else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
        if self.first:  # "optimised" first block: pool before the shortcut conv, on raw pixels
            shortcut = self.shortcut(F.avg_pool2d(x, 2) if self.downsample else x)
        else:
            shortcut = self.shortcut(x)
            shortcut = F.avg_pool2d(shortcut, 2) if self.downsample else shortcut
        return h + shortcut


class SelfAttention(nn.Module):
    """Non-local attention over spatial positions; γ starts at 0 so the block begins as identity."""

    def __init__(self, channels: int, sn: bool = False) -> None:
        super().__init__()
        if channels < 8:  # query and key have channels // 8 channels
            raise ZooError(f"self-attention needs at least 8 channels, got {channels}: use a larger model.width")
        self.query = conv1x1(channels, channels // 8, sn)
        self.key = conv1x1(channels, channels // 8, sn)
        self.value = conv1x1(channels, channels // 2, sn)
        self.out = conv1x1(channels // 2, channels, sn)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        query = self.query(x).flatten(2)  # (n, c/8, hw)
        key = F.max_pool2d(self.key(x), 2).flatten(2)  # (n, c/8, hw/4)
        value = F.max_pool2d(self.value(x), 2).flatten(2)  # (n, c/2, hw/4)
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)  # (n, hw, hw/4)
        out = (value @ attention.transpose(1, 2)).view(n, c // 2, h, w)
        return x + self.gamma * self.out(out)


def projection_logits(
    h: torch.Tensor, linear: nn.Module, embed: nn.Module | None, y: torch.Tensor | None
) -> torch.Tensor:
    """Pooled features -> logits, plus ⟨embed(y), h⟩ for a class-conditional D (Miyato & Koyama 2018)."""
    logits = linear(h).flatten()
    if embed is not None:
        if y is None:
            raise ValueError("a class-conditional discriminator needs labels y")
        logits = logits + (embed(y) * h).sum(dim=1)
    return logits
