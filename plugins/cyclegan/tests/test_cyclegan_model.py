"""The CycleGAN networks as Zhu et al. 2017 (arXiv:1703.10593) specify them: two ResNet generators (6 or 9 blocks),
two unconditional 70×70 PatchGAN critics, routed by direction; the recipes; parameter counts against the authors'."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo import get_registry
from zoo.training.settings import resolve_settings
from zoo_cyclegan.model import CycleGANDiscriminator, CycleGANGenerator, PatchCritic, ResidualBlock, ResnetTranslator

TINY = {"width": 2, "n_blocks": 1}


@pytest.mark.parametrize("resolution", [64, 128, 256])
def test_both_directions_translate_into_the_unit_range_with_their_own_channels(resolution):
    torch.manual_seed(0)
    g = CycleGANGenerator(resolution=resolution, in_channels=1, channels=3, **TINY)
    grey, colour = torch.rand(2, 1, resolution, resolution), torch.rand(2, 3, resolution, resolution)
    for direction, x, out in (("a2b", grey, 3), ("b2a", colour, 1)):
        y = g.translator(direction)(x)
        assert y.shape == (2, out, resolution, resolution) and y.min() >= 0 and y.max() <= 1
        assert g.channels_for(direction) == (x.shape[1], out)
        assert not torch.allclose(y, g.translator(direction)(torch.rand_like(x)))
    assert torch.equal(g(grey), g.a2b(grey))


@pytest.mark.parametrize(("resolution", "blocks"), [(64, 6), (128, 6), (256, 9), (512, 9)])
def test_the_papers_block_count_follows_the_resolution_unless_set(resolution, blocks):
    def count(g: CycleGANGenerator) -> int:
        return sum(isinstance(m, ResidualBlock) for m in g.a2b.modules())

    assert count(CycleGANGenerator(resolution=resolution, width=1)) == blocks
    assert count(CycleGANGenerator(resolution=resolution, width=1, n_blocks=3)) == 3


def test_translator_and_critic_route_each_direction_to_its_own_network():
    g = CycleGANGenerator(resolution=64, in_channels=1, channels=3, **TINY)
    d = CycleGANDiscriminator(resolution=64, in_channels=1, channels=3, width=2)
    assert g.directions == d.directions == ("a2b", "b2a") and not d.conditional
    assert g.translator("a2b") is g.a2b and g.translator("b2a") is g.b2a and g.a2b is not g.b2a
    assert d.critic("a2b") is d.d_b and d.critic("b2a") is d.d_a  # D_B judges a2b's outputs (B images)
    assert d.d_b.net[0].in_channels == 3 and d.d_a.net[0].in_channels == 1
    for bad in ("ab", "b2b"):
        with pytest.raises(ValueError, match="a2b and b2a"):
            g.translator(bad)
        with pytest.raises(ValueError, match="a2b and b2a"):
            d.critic(bad)


def test_critics_return_patch_maps_and_ignore_a_condition():
    d = CycleGANDiscriminator(resolution=256, width=2)
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    logits = d.critic("b2a")(x, None)
    assert logits.shape == (2, 1, 30, 30)
    assert torch.equal(d(x), d.critic("a2b")(x, torch.rand_like(x)))
    assert CycleGANDiscriminator(resolution=128, width=2).critic("a2b")(x[:, :, :128, :128]).shape == (2, 1, 14, 14)


def test_generator_is_c7s1_d128_d256_resnet_u128_u64_c7s1_with_reflection_padding():
    net = ResnetTranslator(3, 3, width=64, n_blocks=9).net
    convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    shapes = [(type(c).__name__, c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs]
    assert shapes[:3] == [("Conv2d", 64, 7, 1), ("Conv2d", 128, 3, 2), ("Conv2d", 256, 3, 2)]
    assert shapes[3:21] == [("Conv2d", 256, 3, 1)] * 18
    assert shapes[21:] == [("ConvTranspose2d", 128, 3, 2), ("ConvTranspose2d", 64, 3, 2), ("Conv2d", 3, 7, 1)]
    assert isinstance(net[0], nn.ReflectionPad2d) and isinstance(net[-1], nn.Tanh)
    assert all(isinstance(m, nn.InstanceNorm2d) for m in net.modules() if "Norm" in type(m).__name__)


def test_any_size_comes_back_the_same_size():
    g = CycleGANGenerator(resolution=32, **TINY).eval()
    for direction in g.directions:
        assert g.translator(direction)(torch.rand(1, 3, 30, 50)).shape == (1, 3, 30, 50)


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_match_the_authors_resnet_9blocks_and_basic_patchgan():
    """The authors' code prints 11.378 M for resnet_9blocks and 2.765 M for its basic D (3 channels)."""
    g = CycleGANGenerator(resolution=256)
    assert _parameters(g.a2b) == _parameters(g.b2a) == 11_378_179
    assert _parameters(PatchCritic(3)) == 2_764_737
    assert _parameters(CycleGANGenerator(resolution=128).a2b) == 7_837_699  # resnet_6blocks


def test_recipes_are_the_papers_and_horse2zebra128_scales_its_jitter():
    registry = get_registry()  # the installed plugin, as users get it
    arch = registry.architecture("cyclegan")
    for name in ("default", "horse2zebra128"):
        s = resolve_settings(arch, name, {})
        assert (s.loss, s.cycle_weight, s.identity_weight, s.pool_size, s.batch_size) == ("lsgan", 10, 0.5, 50, 1)
        assert (s.lr_g, s.lr_d, s.betas_g, s.betas_d, s.ema_decay) == (2e-4, 2e-4, (0.5, 0.999), (0.5, 0.999), 0)
        assert s.lr_decay == "linear" and s.lr_decay_from == 0.5
    assert resolve_settings(arch, "default", {}).load_size == 286
    small = resolve_settings(arch, "horse2zebra128", {})
    assert small.model["resolution"] == 128 and small.load_size == 143 and small.steps <= 50_000
    assert small.model["width"] == 32  # half the paper's filters: trainable on a CPU, weights a few MB
