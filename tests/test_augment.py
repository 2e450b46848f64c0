"""DiffAugment's translation: each image moved by its own whole-pixel shift, zeros moved in, exact gradients."""

from __future__ import annotations

import pytest
import torch
from zoo.training.augment import _shifted, _translation, diff_augment


def _moved_pixel_by_pixel(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """The definition, one pixel at a time: out[i, :, r, c] = x[i, :, r - dy[i], c - dx[i]], or 0 outside."""
    out = torch.zeros_like(x)
    n, _, h, w = x.shape
    for i in range(n):
        for r in range(h):
            for c in range(w):
                r0, c0 = r - int(dy[i]), c - int(dx[i])
                if 0 <= r0 < h and 0 <= c0 < w:
                    out[i, :, r, c] = x[i, :, r0, c0]
    return out


@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("size", [(4, 4), (5, 7)])
def test_each_image_moves_by_its_own_shift_with_zeros_moved_in(memory_format, size):
    torch.manual_seed(0)
    x = torch.randn(5, 2, *size).contiguous(memory_format=memory_format)
    dy, dx = torch.tensor([-1, 0, 1, 1, -1]), torch.tensor([2, -2, 0, 1, -1])
    got = _shifted(x, dy, dx, 1, 2)
    assert torch.equal(got, _moved_pixel_by_pixel(x, dy, dx))
    assert got.is_contiguous(memory_format=memory_format)


def test_translation_gradients_are_exact_to_second_order():
    """R1 differentiates through the augmentation twice; both orders are checked numerically."""
    torch.manual_seed(0)
    x = torch.randn(3, 2, 6, 5, dtype=torch.float64, requires_grad=True)

    def translate(images: torch.Tensor) -> torch.Tensor:
        torch.manual_seed(1)  # the same shifts on every call gradcheck makes
        return _translation(images, ratio=0.34)

    assert torch.autograd.gradcheck(translate, (x,))
    assert torch.autograd.gradgradcheck(translate, (x,))


def test_translation_draws_shifts_within_its_ratio():
    torch.manual_seed(0)
    x = torch.ones(64, 1, 8, 8)
    moved = diff_augment(x, ("translation",))
    zero_rows = (moved[:, 0].sum(dim=2) == 0).sum(dim=1)  # rows of zeros moved in, per image
    zero_cols = (moved[:, 0].sum(dim=1) == 0).sum(dim=1)
    assert zero_rows.max() == 1 and zero_cols.max() == 1  # int(8 · 0.125 + 0.5) = 1 pixel at most
    assert (zero_rows == 0).any() and (zero_cols == 0).any()
