"""Building blocks shared by the residual GAN families (WGAN-GP, SAGAN, BigGAN-lite) and the
image-to-image GANs (Pix2Pix, CycleGAN, a third party's).

Residual generator/discriminator blocks follow Gulrajani et al. 2017 (Appendix F) and Miyato
et al. 2018; self-attention follows Zhang et al. 2018 (SAGAN) with BigGAN's pooled keys;
conditional batch norm follows de Vries et al. 2017 / Miyato & Koyama 2018. The PatchGAN
discriminator is Isola et al. 2017's (arXiv:1611.07004), which Zhu et al. 2017 (arXiv:1703.10593) reuse.
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


NORMS = ("instance", "batch")
"""Normalisations of the image-to-image networks: the pix2pix/CycleGAN code's ``--norm instance`` and ``batch``."""


def norm2d(kind: str, channels: int) -> nn.Module:
    """Instance norm without learned scale or shift (the authors' code's ``instance``), or batch norm."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")


def conv_bias(kind: str) -> bool:
    """Whether a conv before a ``kind`` norm has a bias: only with instance norm, as in the authors' code, so the
    parameters match theirs one for one (the bias is removed by the norm's mean either way)."""
    return kind == "instance"


def init_normal(module: nn.Module) -> None:
    """N(0, 0.02) conv weights and zero biases, N(1, 0.02) batch-norm scales: the Pix2Pix and CycleGAN papers' init."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def patch_size(layers: int) -> int:
    """The receptive field of a PatchGAN with ``layers`` stride-2 convs: 16, 34, 70 (the paper's), 142, 286."""
    return 9 * 2**layers - 2  # the two stride-1 4×4 convs see 7 px; each 4×4 stride-2 conv before maps r to 2r + 2


def patch_discriminator(in_channels: int, width: int = 64, layers: int = 3, norm: str = "instance") -> nn.Sequential:
    """Isola et al. 2017's PatchGAN: C64-C128-C256-C512 for ``layers=3`` (70×70 patches), one logit per patch.

    4×4 convs with LeakyReLU(0.2): ``layers`` of stride 2 (no norm on the first), then a stride-1 conv with
    twice the channels (at most 8 × width) and a stride-1 conv to one channel; padding 1 throughout, so an
    H×W input gives an (H / 2**layers − 2) map of logits (30×30 for 256 px and 3 layers).
    """
    if layers < 1 or width < 1:
        raise ValueError(f"a PatchGAN needs layers >= 1 and width >= 1, got layers={layers}, width={width}")
    bias = conv_bias(norm)
    modules: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    channels = width
    for n in range(1, layers + 1):
        out, stride = width * min(2**n, 8), (2 if n < layers else 1)
        modules += [nn.Conv2d(channels, out, 4, stride, 1, bias=bias), norm2d(norm, out), nn.LeakyReLU(0.2, True)]
        channels = out
    modules.append(nn.Conv2d(channels, 1, 4, 1, 1))
    return nn.Sequential(*modules)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad H and W at the bottom and right (replicating the edge) up to a multiple of ``multiple``, so a strided
    network takes any size; the caller crops its output back to ``x``'s size."""
    pad_h, pad_w = -x.shape[-2] % multiple, -x.shape[-1] % multiple
    return F.pad(x, (0, pad_w, 0, pad_h), mode="replicate") if pad_h or pad_w else x
