"""Measures of images against their own targets (paired translation data): L1, PSNR and SSIM on uint8 images.

Computed on the uint8 values a saved image holds, in float64, per image; callers average over images.

- L1: mean absolute difference on the 0-1 scale (grey levels / 255).
- PSNR: 10 log10(255² / MSE) in dB. An image identical to its target (MSE 0) scores PSNR_CAP = 100 dB
  instead of infinity, so results stay finite numbers that JSON files and model cards can hold (one grey
  level off everywhere is 48.1 dB; a real translation scores 15-35 dB).
- SSIM: Wang, Bovik, Sheikh & Simoncelli 2004, "Image quality assessment: from error visibility to
  structural similarity", IEEE TIP 13(4): Gaussian 11x11 window of σ 1.5 (normalised), K1 = 0.01, K2 = 0.03,
  L = 255, at every window position that fits (the 'valid' filter of the paper's MATLAB code), averaged
  over positions, then over channels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo.errors import ZooError

if TYPE_CHECKING:
    import torch

PSNR_CAP = 100.0
SSIM_WINDOW, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03
PAIRED_PROTOCOL = (
    f"against each input's own target, averaged over images: L1 on the 0-1 scale, PSNR per image with data range 255 "
    f"capped at {PSNR_CAP:g} dB, SSIM (Wang et al. 2004) with a Gaussian {SSIM_WINDOW}x{SSIM_WINDOW} window of sigma "
    f"{SSIM_SIGMA}, K1 {SSIM_K1}, K2 {SSIM_K2}, valid positions, mean over channels"
)


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image mean absolute difference of uint8 (N, C, H, W) pairs on the 0-1 scale."""
    return (x.double() - y.double()).abs().flatten(1).mean(dim=1) / 255


def psnr(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of uint8 (N, C, H, W) pairs, data range 255, capped at PSNR_CAP (identical images)."""
    import torch

    mse = (x.double() - y.double()).square().flatten(1).mean(dim=1)
    value = 10 * torch.log10(255.0**2 / mse)  # MSE 0 gives inf, which the cap turns into PSNR_CAP
    return value.clamp(max=PSNR_CAP)


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM (Wang et al. 2004) of uint8 (N, C, H, W) pairs: see the module docstring for the settings."""
    import torch
    from torch.nn import functional as F

    _, channels, height, width = x.shape
    if min(height, width) < SSIM_WINDOW:
        raise ZooError(f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW}, got {height}x{width}: drop ssim")
    offsets = torch.arange(SSIM_WINDOW, dtype=torch.float64) - SSIM_WINDOW // 2
    taps = torch.exp(-offsets.square() / (2 * SSIM_SIGMA**2))
    taps = taps / taps.sum()  # the separable form of the normalised 2-D Gaussian window

    rows, cols = taps.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), taps.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)

    def local_mean(z: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.conv2d(z, rows, groups=channels), cols, groups=channels)

    a, b = x.double(), y.double()
    mu_a, mu_b = local_mean(a), local_mean(b)
    var_a = local_mean(a * a) - mu_a.square()
    var_b = local_mean(b * b) - mu_b.square()
    cov = local_mean(a * b) - mu_a * mu_b
    c1, c2 = (SSIM_K1 * 255) ** 2, (SSIM_K2 * 255) ** 2
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a.square() + mu_b.square() + c1) * (var_a + var_b + c2))
    return index.mean(dim=(2, 3)).mean(dim=1)
