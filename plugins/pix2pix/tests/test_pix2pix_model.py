"""The Pix2Pix networks as Isola et al. 2017 (arXiv:1611.07004) specify them: U-Net depth and skips, dropout,
the conditional 70×70 PatchGAN, the recipes, and parameter counts against the authors' code's."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo import get_registry
from zoo.layers import patch_discriminator, patch_size
from zoo.training.settings import resolve_settings
from zoo_pix2pix.model import PatchDiscriminator, UNetGenerator

TINY = {"width": 2}


@pytest.mark.parametrize(("resolution", "depth"), [(64, 6), (128, 7), (256, 8)])
@pytest.mark.parametrize(("in_channels", "channels"), [(3, 3), (1, 3)])
def test_unet_translates_at_each_size_into_the_unit_range(resolution, depth, in_channels, channels):
    torch.manual_seed(0)
    g = UNetGenerator(resolution=resolution, in_channels=in_channels, channels=channels, **TINY)
    x = torch.rand(2, in_channels, resolution, resolution)
    y = g(x)
    assert g.depth == depth and len(g.down) == len(g.up) == depth
    assert y.shape == (2, channels, resolution, resolution)
    assert y.min() >= 0 and y.max() <= 1
    assert not torch.allclose(y, g(torch.rand_like(x)))


@pytest.mark.parametrize("resolution", [64, 128, 256])
def test_every_level_but_the_innermost_feeds_the_decoder_a_skip(resolution, monkeypatch):
    g = UNetGenerator(resolution=resolution, **TINY)
    encoded = [next(m for m in block.modules() if isinstance(m, nn.Conv2d)).out_channels for block in g.down]
    decoder_in = [next(m for m in block.modules() if isinstance(m, nn.ConvTranspose2d)).in_channels for block in g.up]
    assert decoder_in[-1] == encoded[-1]  # the innermost block: no skip
    assert decoder_in[:-1] == [2 * c for c in encoded[:-1]]  # [skip, decoded] at every other level
    concatenations = []
    real_cat = torch.cat
    monkeypatch.setattr(torch, "cat", lambda *a, **k: concatenations.append(1) or real_cat(*a, **k))
    g(torch.rand(1, 3, resolution, resolution))
    assert len(concatenations) == g.skips == g.depth - 1


def test_encoder_is_c64_to_c512_and_dropout_sits_in_the_first_three_decoder_blocks():
    g = UNetGenerator(resolution=256, width=8)
    encoded = [next(m for m in block.modules() if isinstance(m, nn.Conv2d)).out_channels for block in g.down]
    assert encoded == [8, 16, 32, 64, 64, 64, 64, 64]  # C64-C128-C256-C512-C512-C512-C512-C512 at width 64
    with_dropout = [level for level, block in enumerate(g.up) if any(isinstance(m, nn.Dropout) for m in block)]
    assert with_dropout == [5, 6, 7]  # the decoder runs from level 7 (innermost) down to 0
    assert not any(isinstance(m, nn.Dropout) for m in UNetGenerator(resolution=64, dropout=0.0, **TINY).modules())
    assert isinstance(g.up[0][-1], nn.Tanh)


def test_eval_mode_translates_deterministically_and_any_size_comes_back_the_same_size():
    g = UNetGenerator(resolution=32, width=4).eval()
    x = torch.rand(1, 3, 40, 72)
    assert g(x).shape == (1, 3, 40, 72)
    assert torch.equal(g(x), g(x))


def test_unet_refuses_sizes_it_cannot_halve_to_one_pixel_and_unknown_norms():
    for bad in ({"resolution": 100}, {"resolution": 8}, {"norm": "layer"}, {"dropout": 1.0}):
        with pytest.raises(ValueError):
            UNetGenerator(**{"resolution": 64, **TINY, **bad})


@pytest.mark.parametrize(("resolution", "layers", "side"), [(256, 3, 30), (64, 3, 6), (64, 2, 14), (128, 3, 14)])
def test_patchgan_returns_one_logit_per_patch(resolution, layers, side):
    d = PatchDiscriminator(resolution=resolution, in_channels=1, channels=3, width=2, d_layers=layers)
    logits = d(torch.rand(2, 3, resolution, resolution) * 2 - 1, torch.rand(2, 1, resolution, resolution) * 2 - 1)
    assert logits.shape == (2, 1, side, side)


def test_patchgan_is_conditional_on_the_input_image():
    d = PatchDiscriminator(resolution=64, in_channels=1, channels=3, width=2)
    assert d.conditional and d.net[0].in_channels == 1 + 3
    x, a = torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64)
    assert not torch.equal(d(x, a), d(x, torch.rand_like(a)))
    with pytest.raises(ValueError, match="conditional"):
        d(x)


@pytest.mark.parametrize(("layers", "size"), [(1, 16), (2, 34), (3, 70)])
def test_patch_size_is_the_receptive_field_measured_by_gradients(layers, size):
    """Batch norm in eval mode is per-pixel, so an input pixel gets gradient only if one logit's patch covers it."""
    d = patch_discriminator(3, 2, layers, norm="batch").eval()
    x = torch.rand(1, 3, 256, 256, requires_grad=True)
    logits = d(x)
    centre = logits.shape[-1] // 2
    logits[0, 0, centre, centre].backward()
    rows = x.grad[0].abs().sum(dim=(0, 2)).nonzero()
    assert patch_size(layers) == size == int(rows.max() - rows.min() + 1)


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_match_the_authors_unet_256_and_basic_patchgan():
    """The authors' code prints 54.414 M for unet_256 and 2.769 M for its basic D (batch norm, 6 channels)."""
    assert _parameters(UNetGenerator(resolution=256, norm="batch")) == 54_413_955
    assert _parameters(UNetGenerator(resolution=256)) == 54_409_603  # instance norm: biases instead of BN affines
    assert _parameters(PatchDiscriminator(norm="batch")) == 2_768_705
    assert _parameters(PatchDiscriminator()) == 2_767_809


def test_recipes_are_the_papers_and_the_64px_ones_scale_its_jitter():
    registry = get_registry()  # the installed plugin, as users get it
    arch = registry.architecture("pix2pix")
    paper = resolve_settings(arch, "default", {})
    assert (paper.loss, paper.l1_weight, paper.batch_size, paper.ema_decay) == ("bce", 100, 1, 0)
    assert paper.load_size == 286 and paper.flip
    assert (paper.lr_g, paper.lr_d, paper.betas_g, paper.lr_decay) == (2e-4, 2e-4, (0.5, 0.999), "linear")
    assert paper.lr_decay_from == 0.5 and paper.model["resolution"] == 256
    # colorize64 at width 16 (3.7 MB of weights); edges2emoji64 keeps 32 (width 16 drew rainbow noise)
    for name, in_channels, width in (("edges2emoji64", 1, 32), ("colorize64", 1, 16)):
        small = resolve_settings(arch, name, {})
        assert (small.model["resolution"], small.model["width"]) == (64, width)
        assert small.load_size == 72 and small.l1_weight == 100
        assert (small.model["in_channels"], small.model["channels"]) == (in_channels, 3)
        assert small.lr_decay_from == 0.5 and small.steps <= 50_000
