"""StyleGAN-lite networks: StyleGAN2 (Karras et al. 2020, arXiv:1912.04958) at 32 or 64 px, small width.

Generator ('skip' G of StyleGAN2, Fig. 7b): an MLP maps z to w (StyleGAN, Karras et al. 2019,
arXiv:1812.04948, §2), a learned 4×4 constant is refined by modulated, demodulated 3×3 convs
with per-pixel noise, and every resolution adds its own toRGB output to the upsampled image.
While training, style-mixing regularisation (StyleGAN §3.1) feeds a second w to the layers after a
random crossover point, and the mean w is tracked for the truncation trick (StyleGAN §3.2).

Discriminator ('resnet' D of StyleGAN2): residual blocks with [1, 3, 3, 1]-filtered
downsampling, minibatch standard deviation, then two dense layers. Both networks use equalised
learning rate throughout.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from zoo.interfaces import Discriminator as BaseDiscriminator
from zoo.interfaces import StyleGenerator

from zoo_stylegan_lite.layers import (
    EqualConv2d,
    EqualLinear,
    SynthesisLayer,
    ToRGB,
    downsample2x,
    float32_only,
    minibatch_stddev,
)
from zoo_stylegan_lite.subpixel import upsample2x

RESOLUTIONS = (32, 64)


def channels_at(res: int, resolution: int, width: int) -> int:
    """Feature maps at ``res``: ``width`` at the output resolution, doubling per halving, capped at 8·width."""
    return min(width * (resolution // res), 8 * width)


def _check_resolution(resolution: int) -> None:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"StyleGAN-lite supports resolution 32 or 64, not {resolution}")


class MappingNetwork(nn.Module):
    """z -> w: normalise z to unit second moment, then an MLP with lr multiplier 0.01 (StyleGAN §2)."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mul: float = 0.01) -> None:
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.layers = nn.Sequential(
            *(EqualLinear(dims[i], dims[i + 1], lr_mul=lr_mul, act=True) for i in range(layers))
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        return self.layers(z)


class Generator(StyleGenerator):
    """z -> images in [-1, 1]; implements the zoo's style-generator protocol (mapping, synthesis, w_avg).

    ``float32_layers``: the first that many synthesis layers run whole in float32 under bf16
    autocast. A checkpoint's card sets it when bf16 everywhere would move its images past the
    zoo's tolerance: the coarse layers' rounding is amplified by every layer after them, while the
    64-px layers, bound by elementwise passes more than by their convolutions, keep most of bf16's gain.
    """

    def __init__(
        self,
        resolution: int = 64,
        z_dim: int = 128,
        w_dim: int = 128,
        width: int = 16,
        mapping_layers: int = 8,
        channels: int = 3,
        mixing_prob: float = 0.9,
        w_avg_beta: float = 0.995,
        float32_layers: int = 0,
    ) -> None:
        super().__init__(z_dim=z_dim, resolution=resolution, channels=channels)
        _check_resolution(resolution)
        if mapping_layers < 1:
            raise ValueError(f"mapping_layers must be at least 1, got {mapping_layers}")
        self.w_dim, self.mixing_prob, self.w_avg_beta = w_dim, mixing_prob, w_avg_beta
        self.mapping_network = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.register_buffer("w_avg", torch.zeros(w_dim))
        levels = [2**i for i in range(2, int(math.log2(resolution)) + 1)]  # 4, 8, ..., resolution
        c4 = channels_at(4, resolution, width)
        self.const = nn.Parameter(torch.randn(1, c4, 4, 4))
        self.layers = nn.ModuleList([SynthesisLayer(c4, c4, w_dim, 4)])
        self.to_rgb = nn.ModuleList([ToRGB(c4, channels, w_dim)])
        for res in levels[1:]:
            c_in, c_out = channels_at(res // 2, resolution, width), channels_at(res, resolution, width)
            self.layers.append(SynthesisLayer(c_in, c_out, w_dim, res, up=True))
            self.layers.append(SynthesisLayer(c_out, c_out, w_dim, res))
            self.to_rgb.append(ToRGB(c_out, channels, w_dim))
        if not 0 <= float32_layers <= len(self.layers):
            raise ValueError(f"float32_layers must be between 0 and {len(self.layers)}, got {float32_layers}")
        for layer in self.layers[:float32_layers]:
            layer.float32 = True
        # Each conv takes its own w; each toRGB shares the w of the next block's first conv,
        # plus one for the last toRGB: 2·log2(resolution) − 2 style inputs (10 at 64 px).
        self.num_ws = len(self.layers) + 1

    def mapping(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z -> w; in training mode also moves ``w_avg`` towards the batch mean of w.

        float32 under bf16 autocast: w steers every layer, and an 8-layer bf16 MLP moves it enough
        to change the image visibly; the mapping is a few small matrix products, so float32 costs little.
        """
        with float32_only(z):
            w = self.mapping_network(z.to(self.const.dtype))
        if self.training:
            with torch.no_grad():
                self.w_avg.copy_(w.detach().float().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        return w

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        """(N, num_ws, w_dim) -> images; style input i drives conv i, toRGB k uses the w after its block."""
        if ws.ndim != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"synthesis expects ws of shape (N, {self.num_ws}, {self.w_dim}), got {tuple(ws.shape)}")
        x = self.const.expand(ws.shape[0], -1, -1, -1).to(ws.dtype)
        x = self.layers[0](x, ws[:, 0])
        image = self.to_rgb[0](x, ws[:, 1])
        last = len(self.to_rgb) - 2
        for block, to_rgb in enumerate(self.to_rgb[1:]):
            first = 1 + 2 * block
            # Every feature map below is this method's own and read once more at most: each layer
            # may scale its input in place (when no gradient is taken), and so may the last toRGB.
            x = self.layers[first](x, ws[:, first], consume_input=True)
            x = self.layers[first + 1](x, ws[:, first + 1], consume_input=True)
            with float32_only(image):  # the RGB skip sum stays float32 under bf16 autocast
                image = upsample2x(image) + to_rgb(x, ws[:, first + 2], consume_input=block == last)
        # The output layer is linear, as in the paper, and D sees it unclamped while training, so an
        # overshoot past the data's range is something D can penalise. (Clamping with straight-through
        # gradients diverged on emoji64: white backgrounds were pushed past 1 without limit.) Eval mode
        # returns what users get, images in [-1, 1].
        return image if self.training else image.clamp(-1, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images for ``z``; in training mode, with probability ``mixing_prob`` two latents are mixed."""
        ws = self.broadcast(self.mapping(z)).clone()
        if self.training and self.mixing_prob > 0 and torch.rand(()) < self.mixing_prob:
            # Style-mixing regularisation: layers from a random crossover on take a second w.
            cutoff = int(torch.randint(1, self.num_ws, ()))
            w2 = self.mapping_network(torch.randn_like(z))
            ws[:, cutoff:] = w2.unsqueeze(1)
        return self.synthesis(ws)


class DiscriminatorBlock(nn.Module):
    """Residual block: two 3×3 convs with filtered 2× downsampling between them, plus a 1×1 skip."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3)
        # Both branches are scaled by 1/sqrt(2) to keep the variance of their sum (folded into the weights).
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, scale=math.sqrt(0.5))
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, act=False, scale=math.sqrt(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(downsample2x(x))
        return skip + self.conv1(downsample2x(self.conv0(x)))


class Discriminator(BaseDiscriminator):
    """images -> logits: fromRGB, residual blocks down to 4×4, minibatch stddev, conv, two dense layers."""

    def __init__(self, resolution: int = 64, width: int = 16, channels: int = 3) -> None:
        super().__init__(resolution=resolution, channels=channels)
        _check_resolution(resolution)
        levels = [2**i for i in range(int(math.log2(resolution)), 2, -1)]  # resolution, ..., 8
        self.from_rgb = EqualConv2d(channels, channels_at(resolution, resolution, width), 1)
        self.blocks = nn.Sequential(
            *(
                DiscriminatorBlock(channels_at(res, resolution, width), channels_at(res // 2, resolution, width))
                for res in levels
            )
        )
        c4 = channels_at(4, resolution, width)
        self.conv = EqualConv2d(c4 + 1, c4, 3)
        self.fc = EqualLinear(c4 * 16, c4, act=True)
        self.out = EqualLinear(c4, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.blocks(self.from_rgb(x))
        h = self.conv(minibatch_stddev(h))
        return self.out(self.fc(h.flatten(1))).flatten()
