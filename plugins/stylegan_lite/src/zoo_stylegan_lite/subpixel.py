"""2× bilinear upsampling followed by a 3×3 convolution, computed at the input's resolution (sub-pixel form).

Upsampling is linear and fixed, so ``conv3x3(upsample2x(x), w)`` equals, away from the border, four 3×3
convolutions of ``x`` itself, one per output phase (even/odd row × even/odd column), whose weights are
``w`` mixed with the bilinear coefficients (Shi et al. 2016, arXiv:1609.05158, use the same identity
for learned upsampling). The multiply-adds are the same, but the 4× larger upsampled map is never
written or read: at 64 px output that map costs more time than the convolution itself. The two
outermost rows and columns, where bilinear's clamped border and the convolution's zero padding meet,
are recomputed the direct way from thin strips, so the result equals the direct form everywhere (to
float rounding: the mixed weights are rounded once in the compute dtype, the upsampled map not at all).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_stylegan_lite.rows import is_channels_last

# PHASE_TAPS[p][t][k]: weight of conv tap k (offset -1, 0, 1 on the upsampled map) on input pixel
# offset t (-1, 0, 1) for output phase p (0: even row/column, 1: odd). Bilinear 2× with
# align_corners=False puts u[2i] = x[i-1]/4 + 3x[i]/4 and u[2i+1] = 3x[i]/4 + x[i+1]/4.
PHASE_TAPS = (
    ((0.75, 0.25, 0.0), (0.25, 0.75, 0.75), (0.0, 0.0, 0.25)),
    ((0.25, 0.0, 0.0), (0.75, 0.75, 0.25), (0.0, 0.25, 0.75)),
)
BORDER = 2  # output rows/columns at each edge that the phase form gets wrong (clamped vs zero padding)


def upsample2x(x: torch.Tensor) -> torch.Tensor:
    """2× upsampling with the [1, 3, 3, 1] filter.

    Zero-insertion followed by the paper's FIR filter equals bilinear interpolation with
    align_corners=False away from the border, so the fast built-in kernel is used.
    """
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def direct_upsample_conv2d(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The textbook form: 2× upsampling, then a 3×3 'same' convolution."""
    return F.conv2d(upsample2x(x), weight, padding=1)


def phase_weights(weight: torch.Tensor) -> torch.Tensor:
    """(out, in, 3, 3) -> (4·out, in, 3, 3): the four phases' kernels, channel (2·dy + dx)·out + o.

    Mixed in float32 at least, outside autocast (whose einsum would run in bf16), so a caller's cast
    to bf16 rounds each kernel once.
    """
    dtype = torch.promote_types(weight.dtype, torch.float32)
    taps = torch.tensor(PHASE_TAPS, dtype=dtype, device=weight.device)
    with torch.autocast(weight.device.type, enabled=False):
        mixed = torch.einsum("ytk,xsl,oikl->yxoits", taps, taps, weight.to(dtype))  # (2, 2, out, in, 3, 3)
    return mixed.reshape(4 * weight.shape[0], *weight.shape[1:])


def upsample_conv2d(x: torch.Tensor, weight: torch.Tensor, *, out_dtype: torch.dtype | None = None) -> torch.Tensor:
    """``direct_upsample_conv2d(x, weight)`` without the upsampled map; ``out_dtype``: cast while interleaving.

    The phase kernels are mixed in float32 (or ``weight``'s higher precision) and then cast to ``x``'s
    dtype, so bf16 rounds each of them once. The result keeps ``x``'s memory layout.
    """
    if weight.shape[-2:] != (3, 3):
        raise ValueError(f"upsample_conv2d needs a 3×3 kernel, got {tuple(weight.shape[-2:])}")
    n, _, h, w = x.shape
    if min(h, w) < BORDER:
        return direct_upsample_conv2d(x, weight.to(x.dtype))
    channels = weight.shape[0]
    channels_last = is_channels_last(x)
    out = torch.empty(
        (n, channels, 2 * h, 2 * w),
        dtype=out_dtype or x.dtype,
        device=x.device,
        memory_format=torch.channels_last if channels_last else torch.contiguous_format,
    )
    # out[n, o, 2i + dy, 2j + dx] = rows[dy][n, dx·out + o, i, j]. One convolution per output row
    # parity: in channels-last, each of its rows is then one contiguous run of an output row.
    kernels = phase_weights(weight).to(x.dtype).unflatten(0, (2, 2 * channels))
    rows_of = out.unflatten(3, (w, 2)).unflatten(2, (h, 2))  # (N, out, H, 2, W, 2)
    for dy in range(2):
        rows = F.conv2d(x, kernels[dy], padding=1)  # (N, 2·out, H, W)
        rows_of[:, :, :, dy].copy_(rows.unflatten(1, (2, channels)).permute(0, 2, 3, 4, 1))
    _fix_border(out, x, weight.to(x.dtype))
    return out


def _fix_border(out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor) -> None:
    """Overwrite the ``BORDER`` outermost rows and columns of ``out`` with the direct form's values."""
    strip = BORDER + 1  # input rows that determine the first BORDER output rows
    out[:, :, :BORDER] = direct_upsample_conv2d(x[:, :, :strip], weight)[:, :, :BORDER]
    out[:, :, -BORDER:] = direct_upsample_conv2d(x[:, :, -strip:], weight)[:, :, -BORDER:]
    out[:, :, :, :BORDER] = direct_upsample_conv2d(x[:, :, :, :strip], weight)[..., :BORDER]
    out[:, :, :, -BORDER:] = direct_upsample_conv2d(x[:, :, :, -strip:], weight)[..., -BORDER:]
