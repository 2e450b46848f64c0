"""Latent walks and style mixing: ModelHandle.interpolate / style_mix and ``zoo interpolate`` / ``zoo style-mix``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import zoo
from PIL import Image
from zoo.errors import ZooError
from zoo.inference import FP32_TOLERANCE
from zoo.latent import slerp
from zoo.seeds import latent_generator
from zoo.weights import save_weights

STYLE_TINY = {"resolution": 32, "z_dim": 8, "w_dim": 8, "width": 4, "mapping_layers": 2, "channels": 3}
DCGAN_TINY = {"resolution": 32, "z_dim": 8, "width": 4, "channels": 3}


def _trained_w_avg(handle):
    """Give the untrained generator a non-zero mean w, as training would."""
    handle.generator.train()(torch.randn(64, handle.generator.z_dim))
    return handle.eval()


@pytest.fixture(scope="module")
def style():
    torch.manual_seed(0)
    return _trained_w_avg(zoo.build("stylegan-lite", with_discriminator=False, **STYLE_TINY))


@pytest.fixture(scope="module")
def style_run(tmp_path_factory, style):
    """A run directory holding the tiny style generator, as ``zoo train`` leaves it."""
    run = tmp_path_factory.mktemp("run")
    save_weights(run / "model.safetensors", style.generator.state_dict(), family="stylegan-lite", config=style.config)
    return run


def test_style_walk_goes_linearly_in_w_between_the_seed_images(style):
    walk = style.interpolate(3, 5, steps=5, output="tensor")
    assert walk.shape == (5, 3, 32, 32)
    # the ends are the seeds' images, up to the fast path's rounding (a batch of 5 vs a batch of 1)
    for end, seed in ((0, 3), (-1, 5)):
        difference = style.interpolate(3, 5, steps=5)[end].int() - style.sample(1, seed=seed)[0].int()
        assert difference.abs().max() <= 1
    g = style.generator
    with torch.no_grad():
        w = g.mapping(torch.cat([g.sample_latents(1, latent_generator(s)) for s in (3, 5)]))
        middle = g.synthesis(g.broadcast(w.mean(dim=0, keepdim=True)))
    assert torch.allclose(walk[2], middle[0], atol=FP32_TOLERANCE)
    steps = (walk[1:] - walk[:-1]).abs().mean(dim=(1, 2, 3))
    assert steps.max() < (walk[-1] - walk[0]).abs().mean(), "each step is smaller than the whole walk"


def test_truncated_walk_ends_at_the_truncated_samples(style):
    walk = style.interpolate(3, 5, steps=3, truncation=0.5)
    assert torch.equal(walk[0], style.sample(1, seed=3, truncation=0.5)[0])
    assert not torch.equal(walk[0], style.interpolate(3, 5, steps=3)[0])


def test_other_generators_walk_a_great_circle_in_z():
    torch.manual_seed(0)
    handle = zoo.build("dcgan", with_discriminator=False, **DCGAN_TINY).eval()
    walk = handle.interpolate(1, 2, steps=4)
    assert walk.shape == (4, 32, 32, 3)
    assert torch.equal(walk[0], handle.sample(1, seed=1)[0])
    assert torch.equal(walk[-1], handle.sample(1, seed=2)[0])
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    path = slerp(a, b, torch.tensor([0.0, 0.5, 1.0]))
    assert torch.allclose(path[1], torch.tensor([1.0, 2.0]) / 2**0.5)  # 45°, on the arc
    assert torch.allclose(path[[0, 2]], torch.stack([a, b]))
    with pytest.raises(ZooError, match="not a style-based generator"):
        handle.style_mix([1], [2], [0])


def test_conditional_walks_keep_one_class_and_bf16_handles_walk_and_mix(style):
    torch.manual_seed(0)
    handle = zoo.build("sagan", with_discriminator=False, resolution=32, z_dim=8, width=8, num_classes=3).eval()
    walk = handle.interpolate(1, 2, steps=3, labels=[1])
    assert torch.equal(walk[-1], handle.sample(1, seed=2, labels=[1])[0])
    with pytest.raises(ZooError, match="class-conditional: pass labels"):
        handle.interpolate(1, 2, steps=3)
    with pytest.raises(ZooError, match="got 2 labels"):
        handle.interpolate(1, 2, steps=3, labels=[0, 1])
    bf16 = zoo.build("stylegan-lite", with_discriminator=False, **STYLE_TINY).eval().to(dtype="bfloat16")
    assert bf16.interpolate(1, 2, steps=3, truncation=0.7).shape == (3, 32, 32, 3)
    assert bf16.style_mix([1], [2, 3], [0]).shape == (1, 2, 32, 32, 3)


def test_style_mix_takes_listed_layers_from_b_and_the_rest_from_a(style):
    g = style.generator
    grid = style.style_mix([1, 2], [7, 8, 9], layers=[0, 1], output="tensor")
    assert grid.shape == (2, 3, 3, 32, 32)
    with torch.no_grad():
        w = g.mapping(torch.cat([g.sample_latents(1, latent_generator(s)) for s in (2, 8)]))
        ws = g.broadcast(w[:1]).clone()
        ws[:, :2] = w[1]
        expected = g.synthesis(ws)[0]
    assert torch.allclose(grid[1, 1], expected, atol=1e-5)  # batch size changes the conv kernels: 2.4e-6 on AVX2
    everything = style.style_mix([1], [7], layers=list(range(g.num_ws)))
    assert torch.equal(everything[0, 0], style.sample(1, seed=7)[0])
    coarse, fine = style.style_mix([1], [7], [0]), style.style_mix([1], [7], [g.num_ws - 1])
    assert not torch.equal(coarse, fine)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda h: h.interpolate(1, 2, steps=1), "steps must be an integer from 2"),
        (lambda h: h.interpolate(1, 2, steps=0), "steps must be an integer from 2"),
        (lambda h: h.interpolate(1, 2, steps=4, truncation=0), r"truncation must be in \(0, 1\]"),
        (lambda h: h.interpolate(1, 2, steps=4, truncation=1.5), r"truncation must be in \(0, 1\]"),
        (lambda h: h.interpolate(-1, 2, steps=4), r"seed -1 is not an integer from 0 to 2\*\*63 - 1"),
        (lambda h: h.interpolate(1, 2**64, steps=4), "is not an integer from 0"),
        (lambda h: h.interpolate(1, 2, steps=4, labels=[0]), "unconditional: do not pass labels"),
        (lambda h: h.style_mix([1], [2], [8]), r"layer 8 is out of range: .* 8 style inputs, choose from 0\.\.7"),
        (lambda h: h.style_mix([1], [2], [-1]), r"choose from 0\.\.7"),
        (lambda h: h.style_mix([1], [2], []), r"no layers given: choose style inputs in 0\.\.7"),
        (lambda h: h.style_mix([], [2], [0]), "seeds_a is empty"),
        (lambda h: h.style_mix([1], [], [0]), "seeds_b is empty"),
        (lambda h: h.style_mix([1], [2], [0], truncation=-0.5), r"truncation must be in \(0, 1\]"),
        (lambda h: h.style_mix([1], [2], [0], output="png"), "output must be 'uint8' or 'tensor'"),
    ],
)
def test_bad_input_is_a_zoo_error(style, call, message):
    with pytest.raises(ZooError, match=message):
        call(style)


@pytest.mark.slow
def test_interpolate_cli_writes_a_looping_gif_and_a_png_strip(zoo_cli, style_run, tmp_path):
    result = zoo_cli("interpolate", str(style_run), "--seeds", "1,2,3", "--steps", "4", "-o", "walk.gif")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 7 and gif.size == (32, 32)  # 1→2→3, the shared end frame once
    result = zoo_cli("interpolate", str(style_run), "--seeds", "1,2,3", "--steps", "4", "--scale", "2", "-o", "s.png")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "s.png") as strip:
        assert strip.size == (4 * 66 + 2, 2 * 66 + 2)  # one row per leg, 2 px padding


def test_style_mix_cli_puts_the_sources_along_the_top_row_and_left_column(zoo_cli, style_run, style, tmp_path):
    args = ["--rows", "1,2", "--cols", "7,8,9", "--layers", "0-1,3", "--truncation", "0.8"]
    result = zoo_cli("style-mix", str(style_run), *args, "-o", "mix.png")
    assert result.returncode == 0, result.stderr
    grid = np.asarray(Image.open(tmp_path / "mix.png"))
    assert grid.shape == (3 * 34 + 2, 4 * 34 + 2, 3)

    def cell(row, col):
        return grid[2 + 34 * row : 34 * (row + 1), 2 + 34 * col : 34 * (col + 1)]

    assert (cell(0, 0) == 255).all(), "the corner is blank"
    assert np.array_equal(cell(0, 2), style.sample(1, seed=8, truncation=0.8)[0].numpy())
    assert np.array_equal(cell(2, 0), style.sample(1, seed=2, truncation=0.8)[0].numpy())
    mixes = style.style_mix([1, 2], [7, 8, 9], [0, 1, 3], truncation=0.8).numpy()
    assert np.array_equal(cell(2, 3), mixes[1, 2])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["interpolate", "RUN", "--seeds", "1", "-o", "w.gif"], "needs at least two seeds"),
        (["interpolate", "RUN", "--seeds", "1,x", "-o", "w.gif"], "comma-separated non-negative integers"),
        (["interpolate", "RUN", "--seeds", "1,2", "--steps", "1", "-o", "w.gif"], "--steps must be between 2 and 1000"),
        (["interpolate", "RUN", "--seeds", "1,2", "-o", "w.mp4"], "must end in .gif or .png"),
        (["interpolate", "RUN", "--seeds", "1,2", "--truncation", "0", "-o", "w.gif"], "truncation must be in (0, 1]"),
        (["style-mix", "RUN", "--rows", "1", "--cols", "2", "--layers", "0-3", "-o", "m.jpg"], "must end in .png"),
        (["style-mix", "RUN", "--rows", "1", "--cols", "2", "--layers", "3-1", "-o", "m.png"], "runs backwards"),
        (["style-mix", "RUN", "--rows", "1", "--cols", "2", "--layers", "a", "-o", "m.png"], "--layers takes"),
        (["style-mix", "RUN", "--rows", "1", "--cols", "2", "--layers", "0-9999999999", "-o", "m.png"], "range"),
        (["style-mix", "RUN", "--rows", "1", "--cols", "2", "--layers", "0-8", "-o", "m.png"], "choose from 0..7"),
        (["style-mix", "dcgan", "--rows", "1", "--cols", "2", "--layers", "0", "-o", "m.png"], "not a style-based"),
        (["interpolate", "sagan", "--seeds", "1,2", "-o", "w.png"], "conditional: pass --class NAME (one of airplane"),
    ],
)
def test_cli_bad_input_is_one_line(zoo_cli, clean_error, style_run, tmp_path, args, message):
    args = [str(style_run) if arg == "RUN" else arg for arg in args]
    clean_error(zoo_cli(*args), message)
    assert not list(tmp_path.glob("[wm].*")), "nothing is written on error"


@pytest.mark.parametrize("command", ["interpolate", "style-mix"])
def test_help_does_not_import_torch(command):
    code = (
        "import sys\nfrom zoo.cli import main\n"
        f"try:\n    main([{command!r}, '--help'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr


def test_image_to_image_models_have_no_latents_and_latent_models_take_no_images(tmp_path):
    """Both used to fail inside the generator's forward with a raw TypeError / AttributeError."""
    pytest.importorskip("zoo_style_transfer")
    network = zoo.build("style-transfer", with_discriminator=False, width=4, res_blocks=1).eval()
    with pytest.raises(ZooError, match="style-transfer is image-to-image: it has no latent space to walk"):
        network.interpolate(1, 2, steps=3)
    with pytest.raises(ZooError, match="image-to-image: it has no latent space to mix"):
        network.style_mix([1], [2], [0])
    gan = zoo.build("dcgan", with_discriminator=False, **DCGAN_TINY).eval()
    with pytest.raises(ZooError, match=r"dcgan generates images from latents .* use \.sample\(n\)"):
        gan(str(tmp_path / "photo.jpg"))
    assert gan(torch.zeros(1, 8)).shape == (1, 3, 32, 32), "latent tensors still go to the forward"
    with pytest.raises(ZooError, match="^dcgan does not support truncation: leave it out$"):
        gan.interpolate(1, 2, steps=3, truncation=0.5)


def test_interpolate_cli_on_a_style_transfer_run_is_one_line(zoo_cli, clean_error, tmp_path):
    pytest.importorskip("zoo_style_transfer")
    network = zoo.build("style-transfer", with_discriminator=False, width=4, res_blocks=1)
    save_weights(
        tmp_path / "model.safetensors", network.generator.state_dict(), family="style-transfer", config=network.config
    )
    result = zoo_cli("interpolate", str(tmp_path), "--seeds", "1,2", "--steps", "3", "-o", "w.png")
    clean_error(result, "is image-to-image: it has no latent space to walk")
