"""The bf16 training step's fast forms compute what the plain forms do: rows, dense downsampling, minibatch std."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from zoo_stylegan_lite import layers, rows
from zoo_stylegan_lite.layers import (
    DENSE_DOWNSAMPLE_MAX_CHANNELS,
    SynthesisLayer,
    _fir_kernel,
    dense_downsample,
    downsample2x,
    minibatch_stddev,
)
from zoo_stylegan_lite.model import Discriminator

CL = torch.channels_last


def _map(channels: int, dtype=torch.bfloat16, side: int = 8, memory_format=CL) -> torch.Tensor:
    return torch.randn(3, channels, side, side).to(dtype).contiguous(memory_format=memory_format)


@pytest.mark.parametrize(
    ("channels", "dtype", "memory_format", "expected"),
    [
        (16, torch.bfloat16, CL, True),  # 32 bytes of channels: half a vector
        (8, torch.float16, CL, True),
        (32, torch.bfloat16, CL, False),  # a full vector: the broadcast form is as fast
        (16, torch.float32, CL, False),  # float32 has vector loops for 16
        (16, torch.bfloat16, torch.contiguous_format, False),  # NCHW: rows are not a view
    ],
)
def test_rows_are_used_only_for_narrow_low_precision_channels_last_maps(channels, dtype, memory_format, expected):
    assert rows.rows_pay(_map(channels, dtype, memory_format=memory_format)) is expected


def test_rows_are_a_view_of_the_map_and_come_back_to_it():
    x = _map(16)
    r = rows.as_rows(x)
    assert r.shape == (3, 8, 8 * 16) and r.data_ptr() == x.data_ptr()
    back = rows.from_rows(r, 16)
    assert torch.equal(back, x) and back.is_contiguous(memory_format=CL)


@pytest.mark.parametrize("channels", [16, 48])
def test_per_channel_arithmetic_on_rows_is_the_broadcast_arithmetic_bit_for_bit(channels):
    torch.manual_seed(0)
    x = _map(channels)
    scale, strength, bias = torch.rand(3, channels) + 0.5, torch.randn(channels), torch.randn(channels)
    noise = torch.randn(3, 1, 8, 8).bfloat16()
    expected_scaled = x * scale.bfloat16()[:, :, None, None]
    expected = (
        expected_scaled.addcmul(noise, strength.bfloat16()[None, :, None, None]) + bias.bfloat16()[None, :, None, None]
    )
    scaled = rows.scale_channels(x, scale)
    got = rows.modulate_add_noise_bias(x, scale, noise, strength, bias)
    assert torch.equal(scaled, expected_scaled) and torch.equal(got, expected)
    assert got.is_contiguous(memory_format=CL) and scaled.is_contiguous(memory_format=CL)


def test_gradients_through_the_rows_equal_those_of_the_broadcast_form():
    torch.manual_seed(0)
    base = torch.randn(2, 16, 6, 6, dtype=torch.float64).contiguous(memory_format=CL)
    params = [torch.rand(2, 16, dtype=torch.float64) + 0.5, torch.randn(16, dtype=torch.float64), torch.randn(16)]
    noise = torch.randn(2, 1, 6, 6, dtype=torch.float64)

    def grads(on_rows: bool) -> list[torch.Tensor]:
        x = base.detach().requires_grad_()
        scale, strength, bias = (p.double().detach().requires_grad_() for p in params)
        if on_rows:  # float64 never takes the rows by itself: run them as the bf16 path would
            n, c, h, w = x.shape
            noise_rows = noise.reshape(n, h, w, 1).expand(n, h, w, c).reshape(n, h, w * c)
            y = rows.as_rows(x) * rows.tiled(scale, w) + noise_rows * rows.tiled(strength, w) + rows.tiled(bias, w)
            y = rows.from_rows(y, c)
        else:
            y = x * scale[:, :, None, None] + noise * strength[None, :, None, None] + bias[None, :, None, None]
        return torch.autograd.grad(y.square().sum(), [x, scale, strength, bias])

    for got, expected in zip(grads(True), grads(False), strict=True):
        assert torch.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_bf16_training_layer_runs_its_epilogue_on_rows_and_matches_the_float32_layer(monkeypatch):
    torch.manual_seed(0)
    layer = SynthesisLayer(16, 16, 4, 8).train().to(memory_format=CL)
    with torch.no_grad():
        layer.noise_strength.normal_()
        layer.bias.normal_()
    x, w = _map(16, torch.float32), torch.randn(3, 4)
    decisions = []
    real_rows_pay = rows.rows_pay
    monkeypatch.setattr(rows, "rows_pay", lambda t: decisions.append((t.dtype, real_rows_pay(t))) or decisions[-1][1])
    torch.manual_seed(7)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = layer(x, w)
    monkeypatch.undo()
    torch.manual_seed(7)
    expected = layer(x, w)
    assert (torch.bfloat16, True) in decisions  # the epilogue on its bf16 conv output
    assert got.dtype == torch.bfloat16 and got.is_contiguous(memory_format=CL)
    assert (got.float() - expected).abs().max() < 0.05 * expected.abs().max()


@pytest.mark.parametrize("channels", [1, 16, DENSE_DOWNSAMPLE_MAX_CHANNELS])
def test_dense_downsampling_is_bitwise_the_float32_depthwise_route(channels):
    torch.manual_seed(0)
    x = _map(channels, side=16)
    kernel = _fir_kernel(torch.float32, x.device).expand(channels, 1, 4, 4)
    expected = F.conv2d(x.float(), kernel, stride=2, padding=1, groups=channels).bfloat16()
    got = dense_downsample(x)
    assert got.dtype == torch.bfloat16 and torch.equal(got, expected)


@pytest.mark.parametrize(
    ("channels", "dtype", "dense"),
    [
        (16, torch.bfloat16, True),
        (DENSE_DOWNSAMPLE_MAX_CHANNELS + 1, torch.bfloat16, False),
        (16, torch.float32, False),
    ],
)
def test_downsampling_is_dense_only_for_narrow_bf16_maps(monkeypatch, channels, dtype, dense):
    used = []
    monkeypatch.setattr(layers, "dense_downsample", lambda x: used.append(x) or x[:, :, ::2, ::2])
    out = downsample2x(_map(channels, dtype, side=8))
    assert bool(used) is dense and out.shape[-2:] == (4, 4) and out.dtype == dtype


def test_r1_double_backward_runs_through_the_bf16_critic():
    torch.manual_seed(0)
    critic = Discriminator(resolution=32, width=8).to(memory_format=CL)
    real = torch.randn(4, 3, 32, 32).contiguous(memory_format=CL).requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = critic(real).float()
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    grad.square().sum().backward()
    weights = [critic.from_rgb.weight, *(block.conv0.weight for block in critic.blocks)]
    assert all(w.grad is not None and torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0 for w in weights)


def test_minibatch_stddev_is_the_groups_standard_deviation():
    torch.manual_seed(0)
    x = torch.randn(8, 5, 3, 3).contiguous(memory_format=CL)
    out = minibatch_stddev(x, group_size=4)
    groups = x.reshape(2, 4, 5, 3, 3)
    expected = (groups.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3)).repeat_interleave(4)
    assert torch.equal(out[:, :5], x)
    assert torch.allclose(out[:, 5], expected[:, None, None].expand(8, 3, 3), rtol=1e-6, atol=0)
