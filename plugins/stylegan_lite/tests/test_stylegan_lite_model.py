"""The StyleGAN-lite networks do what the papers say: demodulation, noise, style mixing, w_avg, truncation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import zoo
from zoo.errors import ZooError
from zoo.interfaces import StyleGenerator
from zoo_stylegan_lite.layers import ModulatedConv2d, demodulation, downsample2x
from zoo_stylegan_lite.subpixel import upsample2x

TINY = {"resolution": 32, "z_dim": 8, "w_dim": 8, "width": 4, "mapping_layers": 2, "channels": 3}


@pytest.fixture
def generator():
    torch.manual_seed(0)
    return zoo.build("stylegan-lite", with_discriminator=False, **TINY).generator


def test_generator_follows_the_style_protocol(generator):
    assert isinstance(generator, StyleGenerator)
    assert generator.num_ws == 2 * 5 - 2  # 2·log2(32) − 2 style inputs
    assert generator.w_avg.shape == (8,)
    w = generator.mapping(torch.randn(3, 8))
    assert w.shape == (3, 8)
    assert generator.synthesis(generator.broadcast(w)).shape == (3, 3, 32, 32)


def test_demodulated_weights_have_unit_norm_and_match_the_per_sample_convolution():
    torch.manual_seed(0)
    conv = ModulatedConv2d(6, 5, 3, w_dim=4)
    w, x = torch.randn(2, 4), torch.randn(2, 6, 8, 8)
    styles = conv.affine(w)
    weight = conv.weight * conv.weight_gain
    per_sample = weight[None] * styles[:, None, :, None, None] * demodulation(weight, styles)[:, :, None, None, None]
    norms = per_sample.square().sum(dim=(2, 3, 4)).sqrt()
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5)
    expected = torch.cat([F.conv2d(x[i : i + 1], per_sample[i], padding=1) for i in range(2)])
    assert torch.allclose(conv(x, w), expected, atol=1e-5)


def test_resampling_filters_are_the_papers_1331_filter_inside_the_border():
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    kernel = (torch.outer(taps, taps) / 64).view(1, 1, 4, 4)
    x = torch.randn(1, 1, 8, 8)
    stuffed = torch.zeros(1, 1, 16, 16)
    stuffed[..., ::2, ::2] = x * 4
    up = F.conv2d(F.pad(stuffed, (2, 1, 2, 1)), kernel)
    assert torch.allclose(upsample2x(x)[..., 2:-2, 2:-2], up[..., 2:-2, 2:-2], atol=1e-6)
    assert torch.allclose(downsample2x(torch.ones(1, 2, 8, 8))[..., 1:-1, 1:-1], torch.ones(1, 2, 2, 2))


def _recorded_ws(generator, z):
    seen = []
    original = generator.synthesis
    generator.synthesis = lambda ws: seen.append(ws.detach().clone()) or original(ws)
    generator(z)
    del generator.synthesis
    return seen[0]


def test_style_mixing_feeds_two_latents_in_training_only(generator):
    z = torch.randn(4, 8)
    generator.mixing_prob = 1.0
    torch.manual_seed(1)
    ws = _recorded_ws(generator.train(), z)
    per_layer_change = (ws[:, 1:] - ws[:, :-1]).abs().amax(dim=(0, 2))
    assert (per_layer_change > 0).sum() == 1, "exactly one crossover point between two w's"
    cutoff = int(per_layer_change.argmax()) + 1
    assert torch.allclose(ws[:, 0], generator.mapping_network(z))
    assert not torch.allclose(ws[:, cutoff], ws[:, 0])
    ws = _recorded_ws(generator.eval(), z)
    assert torch.equal(ws, ws[:, :1].expand_as(ws)), "no mixing in eval mode"
    generator.mixing_prob = 0.0
    ws = _recorded_ws(generator.train(), z)
    assert torch.equal(ws, ws[:, :1].expand_as(ws))


def test_w_avg_tracks_the_mean_w_while_training_only(generator):
    z = torch.randn(16, 8)
    generator.eval()(z)
    assert torch.count_nonzero(generator.w_avg) == 0
    generator.train()(z)
    expected = generator.mapping_network(z).mean(dim=0) * (1 - generator.w_avg_beta)
    assert torch.allclose(generator.w_avg, expected, atol=1e-6)


def test_noise_is_fresh_in_training_and_fixed_in_eval(generator):
    z = torch.randn(2, 8)
    generator.mixing_prob = 0.0
    for layer in generator.layers:
        torch.nn.init.constant_(layer.noise_strength, 0.1)  # learned strengths start at zero
    with torch.no_grad():
        assert not torch.equal(generator.train()(z), generator(z))
        assert torch.equal(generator.eval()(z), generator(z))


def test_truncation_one_is_untruncated_and_small_truncation_gives_the_mean_image(generator):
    generator.train()(torch.randn(64, 8))  # move w_avg away from zero
    generator.eval()
    z = torch.randn(3, 8)
    with torch.no_grad():
        assert torch.allclose(generator.truncated(z, None, 1.0), generator(z), atol=1e-6)
        mean_image = generator.synthesis(generator.broadcast(generator.w_avg[None]))
        near = generator.truncated(z, None, 1e-4)
        assert (near - mean_image).abs().max() < 1e-2
        assert (generator(z) - mean_image).abs().max() > 0.1


def test_bf16_autocast_forward_matches_float32(generator):
    generator.eval()
    z = torch.randn(4, 8)
    with torch.no_grad():
        reference = generator(z)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            images = generator(z)
    # the RGB skip sum stays float32 under bf16 autocast (the precision-sensitive part)
    assert images.dtype == torch.float32 and torch.isfinite(images).all()
    assert (images.float() - reference).abs().mean() < 0.05
    handle = zoo.build("stylegan-lite", with_discriminator=False, **TINY).eval().to(dtype="bfloat16")
    assert handle.sample(2, truncation=0.7).shape == (2, 32, 32, 3)


def test_discriminator_scores_a_batch_of_any_size():
    disc = zoo.build("stylegan-lite", **TINY).discriminator
    for n in (1, 3, 8):
        assert disc(torch.randn(n, 3, 32, 32)).shape == (n,)


def test_ffhq64_recipe_trains_through_the_cli(tmp_path):
    from zoo.cli import main

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "faces.npz", images=rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    tiny = [f"--set=model.{key}={value}" for key, value in TINY.items()]
    args = ["train", "stylegan-lite", "--recipe", "ffhq64", "--data", str(tmp_path / "faces.npz")]
    try:
        main([*args, "--out", str(tmp_path / "run"), "--steps", "2", "--set=batch_size=4", *tiny, "--quiet"])
    except SystemExit as exc:  # main() exits only on errors
        pytest.fail(f"zoo train exited with {exc.code}")
    config = (tmp_path / "run" / "train_config.json").read_text()
    assert '"reg_every": 16' in config and '"regulariser": "r1"' in config
    assert zoo.load(str(tmp_path / "run")).sample(2, truncation=0.5).shape == (2, 32, 32, 3)


def test_ffhq64_card_says_no_weights_are_published_and_how_to_train():
    from zoo.cards import validate_card
    from zoo.registry import get_registry

    spec = get_registry().checkpoints["stylegan-lite-ffhq64"]
    command = "zoo train stylegan-lite --recipe ffhq64 --data /path/to/ffhq --out runs/stylegan-lite-ffhq64"
    assert spec.train_command == command and command in spec.unpublished
    assert validate_card(spec.card, registry=get_registry()) == []
    with pytest.raises(ZooError, match="no weights for stylegan-lite-ffhq64 are published yet: .*recipe ffhq64"):
        zoo.load("stylegan-lite-ffhq64")


def test_d_sees_the_raw_linear_output_while_training_and_users_get_clamped_images(generator):
    torch.nn.init.constant_(generator.to_rgb[-1].bias, 20.0)  # push every pixel past 1
    z = torch.randn(2, 8)
    with torch.no_grad():
        assert generator.train()(z).min() > 1, "training mode keeps the linear output"
        assert torch.equal(generator.eval()(z), torch.ones(2, 3, 32, 32))


def test_float32_layers_run_whole_in_float32_under_bf16_autocast():
    """A card's float32_layers keeps the coarse synthesis layers exact under autocast; the rest take bf16."""
    torch.manual_seed(0)
    generator = zoo.build("stylegan-lite", with_discriminator=False, **TINY, float32_layers=3).generator.eval()
    assert [layer.float32 for layer in generator.layers] == [True] * 3 + [False] * (len(generator.layers) - 3)
    x, w = torch.randn(2, generator.layers[2].conv.weight.shape[1], 8, 8), torch.randn(2, 8)  # layers 2 and 3 take 8 px
    with torch.no_grad():
        exact = generator.layers[2](x, w)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            kept = generator.layers[2](x, w)
            rounded = generator.layers[3](x, w)
        assert kept.dtype == torch.float32 and torch.equal(kept, exact)
        assert not torch.equal(rounded, generator.layers[3](x, w))  # bf16 convolution: not the float32 result


@pytest.mark.parametrize("count", [-1, 9])
def test_float32_layers_outside_the_synthesis_network_is_refused(count):
    with pytest.raises((ValueError, ZooError), match="float32_layers"):
        zoo.build("stylegan-lite", with_discriminator=False, **TINY, float32_layers=count)
