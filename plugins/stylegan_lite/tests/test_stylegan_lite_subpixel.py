"""The sub-pixel up-convolution equals upsample-then-convolve, and the up layers use it only where it pays."""

from __future__ import annotations

import pytest
import torch
from zoo_stylegan_lite import layers
from zoo_stylegan_lite.layers import SUBPIXEL_MIN_SIZE, SynthesisLayer, subpixel_pays
from zoo_stylegan_lite.subpixel import direct_upsample_conv2d, upsample_conv2d


@pytest.mark.parametrize("size", [(2, 2), (2, 5), (3, 3), (5, 7), (8, 8), (16, 9)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_sub_pixel_form_equals_the_direct_form_everywhere_including_the_border(size, channels_last):
    torch.manual_seed(0)
    x = torch.randn(3, 6, *size, dtype=torch.float64)
    weight = torch.randn(5, 6, 3, 3, dtype=torch.float64)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    got = upsample_conv2d(x, weight)
    assert got.shape == (3, 5, 2 * size[0], 2 * size[1])
    assert torch.allclose(got, direct_upsample_conv2d(x, weight), rtol=0, atol=1e-12)
    layout = torch.channels_last if channels_last and min(size) > 1 else torch.contiguous_format
    assert got.is_contiguous(memory_format=layout)


def test_sub_pixel_form_rounds_bf16_no_worse_than_the_direct_form_and_casts_on_the_way_out():
    torch.manual_seed(0)
    x = torch.randn(4, 16, 32, 32).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(8, 16, 3, 3) / 12
    exact = direct_upsample_conv2d(x.double(), weight.double())
    x16 = x.bfloat16()
    fast = upsample_conv2d(x16, weight, out_dtype=torch.float32)
    assert fast.dtype == torch.float32
    assert fast.is_contiguous(memory_format=torch.channels_last)
    direct_error = (direct_upsample_conv2d(x16, weight.bfloat16()).double() - exact).abs().mean()
    assert (fast.double() - exact).abs().mean() <= direct_error


def test_only_a_3x3_kernel_is_accepted():
    with pytest.raises(ValueError, match="3×3"):
        upsample_conv2d(torch.randn(1, 2, 4, 4), torch.randn(2, 2, 1, 1))


@pytest.mark.parametrize(
    ("dtype", "side", "grad", "expected"),
    [
        (torch.bfloat16, SUBPIXEL_MIN_SIZE, False, True),
        (torch.float16, SUBPIXEL_MIN_SIZE, False, True),
        (torch.float32, SUBPIXEL_MIN_SIZE, False, False),  # slower in float32 (see subpixel_pays)
        (torch.bfloat16, SUBPIXEL_MIN_SIZE // 2, False, False),  # border strips cost more than it saves
        (torch.bfloat16, SUBPIXEL_MIN_SIZE, True, False),  # training keeps the direct form
    ],
)
def test_sub_pixel_form_is_chosen_for_large_low_precision_maps_without_autograd(dtype, side, grad, expected):
    with torch.set_grad_enabled(grad):
        assert subpixel_pays(torch.zeros(1, 1, side, side, dtype=dtype)) is expected


def test_an_up_layer_sampling_in_bf16_uses_the_sub_pixel_form_and_stays_close_to_float32(monkeypatch):
    torch.manual_seed(0)
    layer = SynthesisLayer(8, 4, 4, 2 * SUBPIXEL_MIN_SIZE, up=True).eval()
    x, w = torch.randn(2, 8, SUBPIXEL_MIN_SIZE, SUBPIXEL_MIN_SIZE), torch.randn(2, 4)
    calls = []
    monkeypatch.setattr(layers, "upsample_conv2d", lambda *a, **k: calls.append(k) or upsample_conv2d(*a, **k))
    with torch.no_grad():
        reference = layer(x, w)
        assert not calls  # float32 keeps the direct form
        with torch.autocast("cpu", dtype=torch.bfloat16):
            fast = layer(x, w)
    assert calls == [{"out_dtype": torch.float32}]  # cast to the epilogue's float32 while interleaving
    assert fast.dtype == torch.float32
    assert (fast - reference).abs().max() < 0.05 * reference.abs().max()
