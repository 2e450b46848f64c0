"""Building blocks of StyleGAN2 (Karras et al. 2020, arXiv:1912.04958) with equalised learning rate.

Equalised learning rate (Karras et al. 2018, arXiv:1710.10196, §4.1): weights are stored as
N(0, 1) and scaled by He's constant 1/sqrt(fan_in) at run time, so Adam updates every layer at
the same relative speed. ``lr_mul`` (the mapping network's 0.01) slows a layer down further.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from zoo_stylegan_lite.rows import modulate_add_noise_bias, scale_channels
from zoo_stylegan_lite.subpixel import direct_upsample_conv2d, upsample_conv2d

LRELU_GAIN = math.sqrt(2.0)  # keeps the activation variance of leaky ReLU(0.2) near 1
DENSE_DOWNSAMPLE_MAX_CHANNELS = 32  # widest bf16 map downsample2x convolves densely (dense_downsample)
SUBPIXEL_MIN_SIZE = 32  # smallest input side an up layer convolves in the sub-pixel form (subpixel_pays)


def scaled_lrelu(x: torch.Tensor) -> torch.Tensor:
    """Leaky ReLU(0.2) of ``x``, which already carries the gain sqrt(2) of every StyleGAN activation.

    Leaky ReLU is positively homogeneous, lrelu(g·y) = g·lrelu(y) for g > 0, so the layers fold
    sqrt(2) (and any output scale) into their weights and bias, which are tiny, instead of
    multiplying every activation: one full pass over the feature maps fewer, forward and backward.
    In place only where no gradient is needed: with autograd, torch's in-place leaky ReLU has the
    slower backward (1.8× the time of the out-of-place one in a training step's profile).
    """
    if not x.requires_grad:  # inference: in place saves a feature map's allocation and write
        return F.leaky_relu_(x, 0.2)
    return F.leaky_relu(x, 0.2)


def subpixel_pays(x: torch.Tensor) -> bool:
    """Whether an up layer should convolve ``x`` in the sub-pixel form (``zoo_stylegan_lite.subpixel``).

    Measured on one AMX thread, batch 64, a 32 -> 64 px layer (32 -> 16 channels): bf16 channels-last
    7.5 against 13.2 ms for upsample-then-conv; at 16 -> 32 px 6.4 against 4.6 ms (its border strips
    cost more than the smaller map saves), and in float32 channels-last 23-27 against 18 ms. Inference
    only: training keeps the direct form and its autograd.
    """
    low_precision = x.dtype in (torch.bfloat16, torch.float16)
    return low_precision and not torch.is_grad_enabled() and min(x.shape[-2:]) >= SUBPIXEL_MIN_SIZE


def _fir_kernel(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The paper's separable [1, 3, 3, 1] low-pass filter, normalised to sum to 1, as a 4×4 kernel."""
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0], device=device)
    return (torch.outer(taps, taps) / 64.0).to(dtype)


def downsample2x(x: torch.Tensor) -> torch.Tensor:
    """2× downsampling: the [1, 3, 3, 1] filter evaluated at every other pixel (a depthwise conv).

    Runs in float32 even under bf16 autocast: on CPUs oneDNN's bf16 depthwise convolution is
    about 3× slower (forward + backward) than the float32 one, and was half of a training step.
    A bf16 map of at most DENSE_DOWNSAMPLE_MAX_CHANNELS channels is the exception (``dense_downsample``).
    """
    channels = x.shape[1]
    if x.dtype == torch.bfloat16 and channels <= DENSE_DOWNSAMPLE_MAX_CHANNELS:
        return dense_downsample(x)
    with torch.autocast(x.device.type, enabled=False):
        kernel = _fir_kernel(torch.float32, x.device).expand(channels, 1, 4, 4)
        return F.conv2d(x.float(), kernel, stride=2, padding=1, groups=channels).to(x.dtype)


def dense_downsample(x: torch.Tensor) -> torch.Tensor:
    """``downsample2x`` of a bf16 map as one dense bf16 convolution whose C×C weight holds the filter on its diagonal.

    The zeros off the diagonal add exactly nothing and the convolution accumulates in float32, so
    the result is bitwise that of the float32 depthwise route, without its two whole-map casts each
    way. It multiplies the work by C, so it pays only for narrow maps: forward + backward on one AMX
    thread, batch 64, 3.9 against 9.3 ms at 16 channels (64 px), 2.2 against 3.2 at 32 (32 px),
    and 2.2 against 1.8 at 64 (16 px), slower from there.
    """
    channels = x.shape[1]
    taps = _fir_kernel(torch.float32, x.device)
    weight = torch.eye(channels, device=x.device)[:, :, None, None] * taps
    with torch.autocast(x.device.type, enabled=False):
        return F.conv2d(x, weight.to(x.dtype), stride=2, padding=1)


class EqualLinear(nn.Module):
    """Fully connected layer with equalised learning rate and an optional lrelu (its gain folded into the weights)."""

    def __init__(
        self, in_features: int, out_features: int, *, bias_init: float = 0.0, lr_mul: float = 1.0, act: bool = False
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_mul))
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.lr_mul = lr_mul
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gain = LRELU_GAIN if self.act else 1.0
        out = F.linear(x, self.weight * (self.weight_gain * gain), self.bias * (self.lr_mul * gain))
        return scaled_lrelu(out) if self.act else out


class EqualConv2d(nn.Module):
    """Convolution with equalised learning rate (stride 1, 'same' padding) and an optional lrelu.

    ``scale`` multiplies the output (a residual branch's 1/sqrt(2)); it and the lrelu gain are
    folded into the weights and bias, so no pass over the feature maps is spent on them.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        *,
        bias: bool = True,
        act: bool = True,
        scale: float = 1.0,
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.act = act
        self.out_scale = scale * (LRELU_GAIN if act else 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight * (self.weight_gain * self.out_scale)
        bias = self.bias * self.out_scale if self.bias is not None else None
        if weight.shape[-1] == 1:
            # A 1×1 conv is a matrix product over channels. Computing it as one avoids a crash
            # (SIGFPE) of oneDNN's bf16 1×1 convolution in R1's double backward (torch 2.14,
            # e.g. 24 -> 48 channels at 32×32).
            out = F.linear(x.permute(0, 2, 3, 1), weight.flatten(1), bias).permute(0, 3, 1, 2)
        else:
            out = F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)
        return scaled_lrelu(out) if self.act else out


def demodulation(weight: torch.Tensor, styles: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Per-sample, per-output-channel 1/σ of the modulated weights (StyleGAN2 eq. 3), shape (N, out).

    σ_j² = Σ_{i,k} (s_i·w_ijk)² = Σ_i s_i²·(Σ_k w_ijk²): one small matrix product instead of
    materialising the (N, out, in, k, k) modulated weights.
    """
    return (styles.float().square() @ weight.float().square().sum(dim=(2, 3)).t() + eps).rsqrt()


class ModulatedConv2d(nn.Module):
    """Modulated convolution with weight demodulation (StyleGAN2 §2.2).

    The style scales the input feature maps, the shared convolution runs once for the whole
    batch, and the demodulation coefficients rescale the output: mathematically the per-sample
    modulated weight of the paper, computed the way its official implementation does in training
    ("non-fused" modulation), which is also the faster form on a CPU.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int, w_dim: int, *, demodulate: bool = True, up: bool = False
    ) -> None:
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)  # styles start at 1: plain convolution
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel * kernel)
        self.demodulate, self.up = demodulate, up

    def forward(self, x: torch.Tensor, w: torch.Tensor, consume_input: bool = False) -> torch.Tensor:
        out, coefficients = self.convolve(x, w, consume_input)
        if coefficients is None:
            return out
        with float32_only(out):  # float32 under autocast; bf16 only if the weights themselves are
            dtype = torch.promote_types(out.dtype, self.weight.dtype)
            return out.to(dtype) * coefficients.to(dtype)[:, :, None, None]

    def convolve(
        self,
        x: torch.Tensor,
        w: torch.Tensor,
        consume_input: bool = False,
        epilogue_dtype: torch.dtype | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(the convolution of the style-scaled input, the (N, out) demodulation coefficients or None).

        Apart so that a layer can fold the coefficients into the one pass that adds its noise and bias.
        ``consume_input``: the caller no longer needs ``x``, so without autograd it is scaled in place
        (no new feature map, whose first write costs page faults: a 64-px scale took 5.6 ms into a
        new map, 1.1 ms in place). ``epilogue_dtype``: the dtype the caller will compute in; the
        sub-pixel form casts to it while it interleaves its output, saving the caller's cast pass.
        """
        # Styles and demodulation stay float32 under bf16 autocast: a bf16 style scales a whole
        # channel by up to 0.4 % wrong, and those errors compound over every layer (max |Δ| 0.9 on
        # [-1, 1] for emoji64 when they were bf16). Only the convolution itself runs in bf16.
        with float32_only(w):
            styles = self.affine(w.to(self.weight.dtype))  # (N, in); float32 unless the weights were cast
        weight = self.weight * self.weight_gain
        if consume_input and not torch.is_grad_enabled():
            x = x.mul_(styles.to(x.dtype)[:, :, None, None])
        else:
            x = scale_channels(x, styles)
        if self.up:  # per-channel scaling commutes with upsampling: scale the 4× smaller map
            if torch.is_autocast_enabled(x.device.type):
                x = x.to(torch.get_autocast_dtype(x.device.type))
            if subpixel_pays(x):
                out_dtype = torch.promote_types(x.dtype, epilogue_dtype or x.dtype)
                out = upsample_conv2d(x, weight, out_dtype=out_dtype)
            else:
                out = direct_upsample_conv2d(x, weight.to(x.dtype))
        else:
            out = F.conv2d(x, weight.to(x.dtype), padding=self.weight.shape[-1] // 2)
        if not self.demodulate:
            return out, None
        with float32_only(out):
            return out, demodulation(weight, styles)


class SynthesisLayer(nn.Module):
    """Modulated 3×3 conv (2× upsampling first if ``up``), noise with learned per-channel strengths, bias, lrelu.

    Noise is fresh Gaussian noise while training; in eval mode a fixed noise image stored in the
    weights is used (the official 'const' noise mode), so a seed always gives the same image and
    latent walks do not flicker.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, *, up: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, up=up)
        self.noise_strength = nn.Parameter(torch.zeros(1, out_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1))
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))
        self.float32 = False  # True: the whole layer runs in float32 under autocast (Generator's float32_layers)

    def forward(self, x: torch.Tensor, w: torch.Tensor, consume_input: bool = False) -> torch.Tensor:
        """lrelu(conv·demod + noise·strength + bias)·sqrt(2), in as few passes over the feature maps as eager allows.

        Sampling keeps this epilogue in float32 under bf16 autocast (the error that reaches the image
        is measured per checkpoint, ``zoo.inference``); training runs it in the autocast dtype, as
        mixed precision runs every activation, and saves the casts.
        """
        if self.float32 and torch.is_autocast_enabled(x.device.type):
            with float32_only(x):
                return self._forward(x.to(self.weight_dtype), w, consume_input)
        return self._forward(x, w, consume_input)

    def _forward(self, x: torch.Tensor, w: torch.Tensor, consume_input: bool) -> torch.Tensor:
        out, coefficients = self.conv.convolve(x, w, consume_input, None if self.training else self.weight_dtype)
        with float32_only(out):
            dtype = out.dtype if self.training else torch.promote_types(out.dtype, self.weight_dtype)
            # The gain rides on the small tensors (scaled_lrelu). ``out`` comes first so that the
            # result keeps its memory layout (channels-last on CPUs), and every addend broadcasts
            # along it: a (1, C, H, W) addend in the other layout made the add 5× slower.
            strength = self.noise_strength.to(dtype) * LRELU_GAIN
            bias = self.bias.to(dtype) * LRELU_GAIN
            if self.training:
                noise = torch.randn(out.shape[0], 1, *out.shape[2:], device=out.device, dtype=dtype)
                return scaled_lrelu(
                    modulate_add_noise_bias(out, coefficients * LRELU_GAIN, noise, strength.flatten(), bias.flatten())
                )
            scale = (coefficients * LRELU_GAIN).to(dtype)[:, :, None, None]
            # ``out`` is this layer's own new map: cast it once and scale it in place. A mixed-dtype
            # mul would copy bf16 ``out`` to a float32 temporary and then write a second new map;
            # each new 16 MB map costs its page faults again (a 64-px layer's mul: 5.6 ms, 1.1 in place).
            y = out.to(dtype)
            y = y * scale if y.requires_grad else y.mul_(scale)
            shift = torch.addcmul(bias, self.noise_const.to(dtype), strength)  # (1, C, H, W): small
            if y.is_contiguous(memory_format=torch.channels_last):
                shift = shift.contiguous(memory_format=torch.channels_last)
            return scaled_lrelu(y.add_(shift))

    @property
    def weight_dtype(self) -> torch.dtype:
        return self.bias.dtype


class ToRGB(nn.Module):
    """1×1 modulated conv without demodulation to the image channels (StyleGAN2's skip generator)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, x: torch.Tensor, w: torch.Tensor, consume_input: bool = False) -> torch.Tensor:
        """float32 RGB, under bf16 autocast too: the skip sum of every resolution's RGB is where errors add up.

        Sampling convolves in float32 as well. Training convolves in the feature maps' own (autocast)
        dtype, as mixed precision runs every layer, and saves a whole-map cast each way (2.6 % of a
        celeba64 bf16 step, interleaved A/B on one AMX thread); the bias add still gives float32 RGB.
        """
        with float32_only(x):
            dtype = self.bias.dtype  # float32 unless the weights were cast
            features = x if self.training else x.to(dtype)
            return self.conv(features, w.to(dtype), consume_input) + self.bias


def float32_only(x: torch.Tensor) -> torch.autocast:
    """A context where autocast is off on ``x``'s device: the precision-sensitive parts run in float32."""
    return torch.autocast(x.device.type, enabled=False)


def minibatch_stddev(x: torch.Tensor, group_size: int = 4) -> torch.Tensor:
    """Append the mean feature std over groups of samples as one channel (Karras et al. 2018, §3).

    Groups are *consecutive* samples (the official code strides): the core trainer scores reals
    and fakes in one concatenated batch, and consecutive groups never mix the two when the batch
    size is a multiple of the group size.
    """
    n, c, h, w = x.shape
    group = max(g for g in range(1, min(group_size, n) + 1) if n % g == 0)
    y = x.float().reshape(n // group, group, c, h, w)
    # The variance written out: torch's var over this middle dimension took 5 ms for a (64, 128, 4, 4)
    # batch on a CPU (any dtype or layout), the two passes 0.4 ms; they agree to 5e-7.
    variance = (y - y.mean(dim=1, keepdim=True)).square().mean(dim=1)
    y = (variance + 1e-8).sqrt().mean(dim=(1, 2, 3))  # (n // group,)
    y = y.repeat_interleave(group).reshape(n, 1, 1, 1).expand(n, 1, h, w)
    return torch.cat([x, y.to(x.dtype)], dim=1)
