"""The fused layers compute the paper's formulas: gains folded into weights, one epilogue, any memory layout."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from zoo_stylegan_lite.layers import EqualConv2d, EqualLinear, ModulatedConv2d, SynthesisLayer, downsample2x
from zoo_stylegan_lite.model import DiscriminatorBlock, Generator

GAIN = math.sqrt(2.0)


def _textbook_synthesis(layer: SynthesisLayer, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """StyleGAN2's layer written out: lrelu(modulated conv + noise · strength + bias) · sqrt(2)."""
    conv = layer.conv
    styles = conv.affine(w)
    weight = conv.weight * conv.weight_gain
    modulated = weight[None] * styles[:, None, :, None, None]
    demodulated = modulated * (modulated.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8).rsqrt()
    if conv.up:
        x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
    out = torch.cat([F.conv2d(x[i : i + 1], demodulated[i], padding=1) for i in range(x.shape[0])])
    return F.leaky_relu(out + noise * layer.noise_strength + layer.bias, 0.2) * GAIN


def _layer(up: bool) -> SynthesisLayer:
    torch.manual_seed(0)
    layer = SynthesisLayer(6, 5, 4, 16 if up else 8, up=up)
    with torch.no_grad():  # learned strengths and biases start at zero: give them values the test can see
        layer.noise_strength.normal_()
        layer.bias.normal_()
    return layer


@pytest.mark.parametrize("up", [False, True])
def test_synthesis_layer_in_eval_mode_is_the_textbook_layer_with_its_fixed_noise(up):
    layer = _layer(up).eval()
    x, w = torch.randn(3, 6, 8, 8), torch.randn(3, 4)
    expected = _textbook_synthesis(layer, x, w, layer.noise_const)
    assert torch.allclose(layer(x, w), expected, atol=1e-5)
    with torch.no_grad():  # the in-place inference path gives the same numbers
        assert torch.allclose(layer(x, w), expected, atol=1e-5)


def test_synthesis_layer_in_training_draws_fresh_noise_into_the_same_formula_and_its_gradients():
    layer = _layer(up=False).train()
    x, w = torch.randn(3, 6, 8, 8, requires_grad=True), torch.randn(3, 4)
    torch.manual_seed(7)
    got = layer(x, w)
    torch.manual_seed(7)
    noise = torch.randn(3, 1, 8, 8)
    expected = _textbook_synthesis(layer, x, w, noise)
    assert torch.allclose(got, expected, atol=1e-5)
    (grad_got,) = torch.autograd.grad(got.square().sum(), x)
    (grad_expected,) = torch.autograd.grad(expected.square().sum(), x)
    assert torch.allclose(grad_got, grad_expected, atol=1e-4)


def test_channels_last_input_gives_the_same_layer_output_in_the_same_layout():
    layer = _layer(up=False).eval()
    x, w = torch.randn(3, 6, 8, 8), torch.randn(3, 4)
    layer_cl = _layer(up=False).eval().to(memory_format=torch.channels_last)
    with torch.no_grad():
        plain = layer(x, w)
        last = layer_cl(x.contiguous(memory_format=torch.channels_last), w)
    assert last.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(plain, last, atol=1e-5)


def test_sampling_under_bf16_autocast_stays_close_to_float32():
    layer = _layer(up=True).eval()
    x, w = torch.randn(3, 6, 8, 8), torch.randn(3, 4)
    with torch.no_grad():
        reference = layer(x, w)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            fast = layer(x, w)
    assert fast.dtype == torch.float32  # the epilogue stays float32 when sampling
    assert (fast - reference).abs().max() < 0.05 * reference.abs().max()


@pytest.mark.parametrize("act", [True, False])
@pytest.mark.parametrize("kernel", [1, 3])
def test_equal_conv_folds_its_gain_and_scale_into_the_weights(act, kernel):
    torch.manual_seed(0)
    conv = EqualConv2d(4, 6, kernel, act=act, scale=0.5)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(2, 4, 5, 5)
    out = F.conv2d(x, conv.weight / math.sqrt(4 * kernel * kernel), conv.bias, padding=kernel // 2)
    expected = 0.5 * (F.leaky_relu(out, 0.2) * GAIN if act else out)
    assert torch.allclose(conv(x), expected, atol=1e-5)


def test_equal_linear_with_activation_is_lrelu_times_sqrt2():
    torch.manual_seed(0)
    linear = EqualLinear(5, 3, bias_init=0.3, lr_mul=0.01, act=True)
    x = torch.randn(4, 5)
    out = F.linear(x, linear.weight * 0.01 / math.sqrt(5), linear.bias * 0.01)
    assert torch.allclose(linear(x), F.leaky_relu(out, 0.2) * GAIN, atol=1e-6)


def test_discriminator_block_is_the_mean_preserving_residual_sum():
    torch.manual_seed(0)
    block = DiscriminatorBlock(4, 8)
    x = torch.randn(2, 4, 8, 8)
    unscaled = {
        name: EqualConv2d(4, c, k, bias=b, act=a)
        for name, c, k, b, a in [("conv0", 4, 3, True, True), ("conv1", 8, 3, True, True), ("skip", 8, 1, False, False)]
    }
    for name, conv in unscaled.items():
        conv.load_state_dict(getattr(block, name).state_dict())
    main = unscaled["conv1"](downsample2x(unscaled["conv0"](x)))
    expected = (unscaled["skip"](downsample2x(x)) + main) / math.sqrt(2)
    assert torch.allclose(block(x), expected, atol=1e-5)


def test_modulated_conv_forward_is_convolve_times_its_coefficients():
    torch.manual_seed(0)
    conv = ModulatedConv2d(6, 5, 3, w_dim=4)
    x, w = torch.randn(2, 6, 8, 8), torch.randn(2, 4)
    out, coefficients = conv.convolve(x, w)
    assert torch.allclose(conv(x, w), out * coefficients[:, :, None, None])


def test_a_consumed_input_is_scaled_in_place_only_without_autograd():
    """consume_input saves a new feature map when sampling; with gradients the caller's input is left as it was."""
    torch.manual_seed(0)
    conv = ModulatedConv2d(6, 5, 3, w_dim=4)
    x, w = torch.randn(2, 6, 8, 8), torch.randn(2, 4)
    expected, _ = conv.convolve(x.clone(), w)
    with torch.no_grad():
        kept = x.clone()
        out, _ = conv.convolve(kept, w)  # not consumed: the caller's tensor is unchanged
        assert torch.equal(kept, x)
        consumed = x.clone()
        out, _ = conv.convolve(consumed, w, consume_input=True)
    assert torch.allclose(out, expected, atol=1e-6)
    assert not torch.equal(consumed, x)  # it now holds the style-scaled input
    needs_grad = x.clone().requires_grad_()
    conv.convolve(needs_grad, w, consume_input=True)[0].sum().backward()
    assert torch.equal(needs_grad.detach(), x) and needs_grad.grad is not None


def test_sampled_synthesis_equals_the_one_that_consumes_nothing():
    """The in-place scaling inside synthesis is invisible: the same images as layer-by-layer calls without it."""
    torch.manual_seed(0)
    generator = Generator(resolution=32, width=4, z_dim=8, w_dim=8, mapping_layers=2).eval()
    ws = generator.broadcast(generator.mapping(torch.randn(3, 8))).detach()
    x = generator.const.expand(3, -1, -1, -1)
    x = generator.layers[0](x, ws[:, 0])
    image = generator.to_rgb[0](x, ws[:, 1])
    for block, to_rgb in enumerate(generator.to_rgb[1:]):
        first = 1 + 2 * block
        x = generator.layers[first + 1](generator.layers[first](x, ws[:, first]), ws[:, first + 1])
        image = F.interpolate(image, scale_factor=2.0, mode="bilinear", align_corners=False) + to_rgb(
            x, ws[:, first + 2]
        )
    with torch.no_grad():
        assert torch.equal(generator.synthesis(ws), image.clamp(-1, 1).detach())


def test_to_rgb_convolves_in_float32_when_sampling_and_in_the_autocast_dtype_when_training(monkeypatch):
    from zoo_stylegan_lite.layers import ToRGB

    torch.manual_seed(0)
    to_rgb = ToRGB(6, 3, 4)
    x, w = torch.randn(2, 6, 8, 8).bfloat16(), torch.randn(2, 4)
    seen = []
    original = F.conv2d
    monkeypatch.setattr(F, "conv2d", lambda inp, *a, **k: seen.append(inp.dtype) or original(inp, *a, **k))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        with torch.no_grad():
            sampled = to_rgb.eval()(x, w)
        trained = to_rgb.train()(x, w)
    assert seen == [torch.float32, torch.bfloat16]
    assert sampled.dtype == trained.dtype == torch.float32  # the RGB skip sum stays float32 either way
    assert torch.allclose(sampled, trained, atol=0.05)
