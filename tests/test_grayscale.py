"""Grayscale data end to end: read as one channel, trained as one channel, sampled, evaluated on ImageNet features."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from zoo.data import data_channels, load_images
from zoo.metrics.extractors import POOL, SQUEEZENET, build_extractor, extractor_spec, metric_label
from zoo.weights import read_config

TINY_SETS = ["--set", "batch_size=8", "--set", "model.width=4", "--set", "model.z_dim=8", "--set", "sample_every=2"]


def fashion_like(path: Path, shape: tuple[int, ...], n: int = 24) -> Path:
    """Fashion-MNIST-shaped uint8 images (28x28, one channel unless the shape says 3) with 10 labels."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:28, 0:28]
    centres = rng.uniform(6, 22, (n, 2))
    blobs = [((yy - cy) ** 2 + (xx - cx) ** 2) < rng.uniform(20, 80) for cy, cx in centres]
    grey = (np.stack(blobs) * 200 + rng.integers(0, 40, (n, 28, 28))).astype(np.uint8)
    images = {(28, 28): grey, (28, 28, 1): grey[..., None], (28, 28, 3): np.repeat(grey[..., None], 3, axis=-1)}[shape]
    np.savez(path, images=images, labels=np.arange(n) % 10)
    return path


@pytest.mark.parametrize(("shape", "channels"), [((28, 28), 1), ((28, 28, 1), 1), ((28, 28, 3), 3)])
def test_npz_images_keep_their_channel_count(tmp_path, shape, channels):
    path = fashion_like(tmp_path / "d.npz", shape)
    assert data_channels(path) == channels
    images, labels = load_images(path)
    assert images.shape == (24, 28, 28, channels) and labels.shape == (24,)


@pytest.mark.slow
def test_a_grayscale_npz_trains_a_one_channel_model_that_samples_and_evaluates(zoo_cli, tmp_path):
    """The any-data issue's first failure: (N, 28, 28) npz -> 'Expected size 3 but got size 1'."""
    data = fashion_like(tmp_path / "fmnist.npz", (28, 28))
    run = tmp_path / "runs" / "gray"  # runs/ does not exist yet
    result = zoo_cli("train", "dcgan", "--data", str(data), "--out", str(run), "--steps", "2", "--quiet", *TINY_SETS)
    assert result.returncode == 0, result.stderr
    family, config = read_config(run / "model.safetensors")
    assert family == "dcgan" and config["channels"] == 1 and config["resolution"] == 32
    grid = tmp_path / "grid.png"
    assert zoo_cli("sample", str(run), "-n", "4", "-o", str(grid)).returncode == 0
    assert Image.open(grid).mode == "L"
    out = tmp_path / "metrics.json"
    evaluated = zoo_cli("eval", str(run), "--data", str(data), "--metrics", "kid", "-n", "24", "--extractor",
                        SQUEEZENET, "--no-progress", "-o", str(out))  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    assert "squeezenet1_1-imagenet features" in evaluated.stdout
    protocol = json.loads(out.read_text())["evaluations"][-1]["protocol"]
    assert protocol["real_resize"].startswith("28x28 -> 32x32") and "grayscale" in protocol["channels"]


def test_rgb_data_can_still_train_a_grayscale_model_on_request(zoo_cli, tmp_path):
    data = fashion_like(tmp_path / "rgb.npz", (28, 28, 3))
    run = tmp_path / "run"
    args = ["train", "dcgan", "--data", str(data), "--out", str(run), "--steps", "1", "--quiet", *TINY_SETS]
    result = zoo_cli(*args, "--set", "model.channels=1")
    assert result.returncode == 0, result.stderr
    assert read_config(run / "model.safetensors")[1]["channels"] == 1
    assert "converting RGB images to grayscale" in result.stderr


def test_squeezenet_extractor_takes_any_size_and_grayscale_as_repeated_rgb():
    extractor = build_extractor(SQUEEZENET)
    grey = torch.randint(0, 256, (3, 1, 28, 28), dtype=torch.uint8)
    one = extractor(grey, [POOL])[POOL]
    three = extractor(grey.expand(-1, 3, -1, -1).contiguous(), [POOL])[POOL]
    assert one.shape == (3, 512) and torch.equal(one, three)
    assert extractor(torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8), [POOL])[POOL].shape == (2, 512)
    assert "not Inception" in extractor.protocol["network"]
    assert extractor_spec(SQUEEZENET).accepts(28)
    assert metric_label("FID", SQUEEZENET) == "FID (squeezenet1_1-imagenet features)"


def test_auto_extractor_offline_without_inception_weights_is_squeezenet_and_says_why(monkeypatch, tmp_path):
    from zoo.metrics.extractors import resolve_extractor

    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo-home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setenv("ZOO_NO_DOWNLOAD", "1")
    name, why = resolve_extractor("auto", progress=False)
    assert name == SQUEEZENET and "could not be had" in why and "not comparable with published FIDs" in why
    assert resolve_extractor("zoo-cifar10-resnet") == ("zoo-cifar10-resnet", "")
