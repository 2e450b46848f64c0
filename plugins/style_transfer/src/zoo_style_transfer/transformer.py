"""The image-transformation network of Johnson, Alahi & Fei-Fei 2016 (arXiv:1603.08155).

Three downsampling convs, residual blocks, two upsampling convs. Two later fixes that every
re-implementation adopts: instance norm instead of batch norm (Ulyanov, Vedaldi & Lempitsky 2016,
arXiv:1607.08022) and nearest upsampling + conv instead of transposed convs, which avoids
checkerboard artefacts (Odena, Dumoulin & Olah 2016, distill.pub/2016/deconv-checkerboard).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from zoo.interfaces import ImageToImageGenerator

_STRIDE = 4  # two stride-2 convs: H and W are padded to a multiple of this, then cropped back
OUTPUTS = ("sigmoid", "clamp")
"""How the last conv's values become pixels: the zoo's own sigmoid, or the classic networks' clamp."""
PIXEL_RANGES = (1.0, 255.0)
"""The value of a white pixel inside the network: 1 (the zoo's own) or 255 (pytorch/examples' networks)."""


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Reflection padding keeps the borders free of the dark frame zero padding leaves."""
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(c_in, c_out, kernel, stride))


def _conv_norm_relu(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv(c_in, c_out, kernel, stride), nn.InstanceNorm2d(c_out, affine=True), nn.ReLU())


class ResidualBlock(nn.Module):
    """Two 3x3 convs with instance norm and an identity skip (Johnson et al., supplementary)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv_norm_relu(channels, channels, 3),
            _conv(channels, channels, 3),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Upsample(nn.Module):
    """Nearest x2 then a conv: the checkerboard-free replacement for a stride-2 transposed conv."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = _conv_norm_relu(c_in, c_out, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class TransformerNet(ImageToImageGenerator):
    """One style per network: maps photos in [0, 1] to stylised images in [0, 1] of the same size.

    ``pixel_range`` and ``output`` say what the network computes inside: the zoo trains with pixels
    in [0, 1] and a sigmoid; the classic pytorch/examples networks (candy, mosaic, …) take and give
    0–255 and clamp their last conv. Both are part of the architecture (stored in the weights'
    config), so a ported network computes exactly what the original computed.
    """

    def __init__(
        self,
        *,
        width: int = 32,
        res_blocks: int = 5,
        channels: int = 3,
        resolution: int = 256,
        pixel_range: float = 1.0,
        output: str = "sigmoid",
    ) -> None:
        super().__init__(resolution=resolution, channels=channels)
        if width < 1 or res_blocks < 0:
            raise ValueError(f"width must be >= 1 and res_blocks >= 0, got {width} and {res_blocks}")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        if pixel_range not in PIXEL_RANGES:
            raise ValueError(f"pixel_range must be 1 or 255, got {pixel_range!r}")
        self.width, self.res_blocks = width, res_blocks
        self.pixel_range, self.output = float(pixel_range), output
        self.down = nn.Sequential(
            _conv_norm_relu(channels, width, 9),
            _conv_norm_relu(width, 2 * width, 3, stride=2),
            _conv_norm_relu(2 * width, 4 * width, 3, stride=2),
        )
        self.residual = nn.Sequential(*(ResidualBlock(4 * width) for _ in range(res_blocks)))
        self.up = nn.Sequential(Upsample(4 * width, 2 * width), Upsample(2 * width, width))
        self.out = _conv(width, channels, 9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Any H, W: padded (replicate) to a multiple of 4 and cropped back, so the output keeps the input size."""
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % _STRIDE, -width % _STRIDE
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        if self.pixel_range != 1.0:
            x = x * self.pixel_range
        y = self.out(self.up(self.residual(self.down(x))))[..., :height, :width]
        if self.output == "clamp":  # pytorch/examples: the raw conv output, clamped to the pixel range when saved
            return y.clamp(0.0, self.pixel_range) / self.pixel_range
        # Johnson et al. use a scaled tanh; sigmoid is the same curve mapped onto the [0, 1] convention.
        return torch.sigmoid(y)
