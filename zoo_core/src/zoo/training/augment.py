"""Differentiable augmentation applied to real and fake images alike (Zhao et al. 2020,
"Differentiable Augmentation for Data-Efficient GAN Training", arXiv:2006.10738)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo.training.settings import DIFFAUG_POLICIES as POLICIES  # the names the settings schema accepts


def _color(x: torch.Tensor) -> torch.Tensor:
    """Random brightness, saturation and contrast per image."""
    n = x.shape[0]
    x = x + (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean


def _translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its size, filling with zeros."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (n,), device=x.device)
    dx = torch.randint(-sw, sw + 1, (n,), device=x.device)
    return _Shift.apply(x, dy, dx, sh, sw)


def _shifted(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, sh: int, sw: int) -> torch.Tensor:
    """Image i moved down by dy[i] and right by dx[i] pixels (at most sh and sw), zeros where nothing moved in.

    Every shifted image is one window of the zero-padded batch: the padded batch is viewed as all
    its windows (no copy) and one gather picks each image's window, whole rows at a time (4× faster
    than indexing every pixel by its own row and column, forward, on a 64-image 64-px batch).
    """
    n, c, h, w = x.shape
    padded = F.pad(x, (sw, sw, sh, sh))
    s = padded.stride()
    windows = padded.as_strided((n, 2 * sh + 1, 2 * sw + 1, c, h, w), (s[0], s[2], s[3], s[1], s[2], s[3]))
    return windows[torch.arange(n, device=x.device), sh - dy, sw - dx]


class _Shift(torch.autograd.Function):
    """Per-image integer translation whose gradient is the opposite translation (it is its own adjoint).

    Written as a Function because autograd's own backward of the window gather above scatters
    into the strided view, about 100× slower than the forward; the opposite shift is the exact
    gradient, and being a Function itself, it keeps R1's double backward working.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, sh: int, sw: int) -> torch.Tensor:
        ctx.save_for_backward(dy, dx)
        ctx.limits = sh, sw
        return _shifted(x, dy, dx, sh, sw)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None, None, None]:
        dy, dx = ctx.saved_tensors
        return _Shift.apply(grad, -dy, -dx, *ctx.limits), None, None, None, None


def _cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero one random square of ``ratio`` × size per image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    inside_y = (ys >= cy - ch // 2) & (ys < cy - ch // 2 + ch)
    inside_x = (xs >= cx - cw // 2) & (xs < cx - cw // 2 + cw)
    keep = ~(inside_y & inside_x)
    return x * keep.unsqueeze(1).to(x.dtype)


_OPS = {"color": _color, "translation": _translation, "cutout": _cutout}


def parse_policy(policy: str) -> tuple[str, ...]:
    """'color,translation' -> ('color', 'translation'); unknown names raise ValueError."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in names if p not in _OPS]
    if unknown:
        raise ValueError(f"unknown DiffAugment policy {unknown}: choose from {', '.join(POLICIES)}")
    return names


def diff_augment(x: torch.Tensor, policy: tuple[str, ...]) -> torch.Tensor:
    """Apply the named augmentations in order; gradients flow through all of them."""
    for name in policy:
        x = _OPS[name](x)
    return x
