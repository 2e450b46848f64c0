"""The Python API: zoo.load / zoo.build / zoo.list_models and the model handle."""

from __future__ import annotations

import pytest
import torch
import zoo
from zoo.errors import ZooError
from zoo.registry import get_registry


@pytest.fixture(scope="module")
def dcgan():
    return zoo.load("dcgan")


def test_load_family_gives_its_default_checkpoint_in_eval_mode(dcgan):
    assert dcgan.checkpoint.name == "dcgan-cifar10-32"
    assert dcgan.spec.name == "dcgan-cifar10-32"
    assert not dcgan.generator.training
    assert dcgan.config == {"resolution": 32, "z_dim": 100, "width": 64, "channels": 3}
    assert "dcgan-cifar10-32" in dcgan.card


def test_same_seed_same_images_regardless_of_batch_size(dcgan):
    first = dcgan.sample(16, seed=0)
    assert first.shape == (16, 32, 32, 3) and first.dtype == torch.uint8
    torch.testing.assert_close(first, dcgan.sample(16, seed=0), rtol=0, atol=0)
    torch.testing.assert_close(first, dcgan.sample(16, seed=0, batch_size=5), rtol=0, atol=0)
    assert not torch.equal(first, dcgan.sample(16, seed=1))


def test_sample_tensor_output_is_in_range(dcgan):
    images = dcgan.sample(4, output="tensor")
    assert images.shape == (4, 3, 32, 32) and images.min() >= -1 and images.max() <= 1


def test_samples_are_not_degenerate(dcgan):
    images = dcgan.sample(64, seed=0).float()
    per_image_std = images.flatten(1).std(dim=1)
    assert per_image_std.min() > 5, "some images are flat"
    assert images.std(dim=0).mean() > 20, "images barely differ from each other (mode collapse)"


def test_bfloat16_sampling_stays_close_to_float32():
    fp32 = zoo.load("dcgan").sample(8, seed=2).float()
    bf16 = zoo.load("dcgan", dtype="bfloat16").sample(8, seed=2).float()
    assert (fp32 - bf16).abs().mean() < 4, "bf16 images differ from fp32 by more than rounding"


def test_pretrained_false_is_a_fresh_default_model(dcgan):
    fresh = zoo.load("dcgan", pretrained=False)
    assert fresh.checkpoint is None and fresh.config == dcgan.config
    assert not torch.equal(fresh.generator.net[0].weight, dcgan.generator.net[0].weight)


def test_build_with_overrides_and_discriminator():
    handle = zoo.build("dcgan", resolution=64, width=8)
    assert handle.generator.resolution == 64
    images = handle.generator(torch.randn(2, 100))
    assert images.shape == (2, 3, 64, 64)
    assert handle.discriminator(images).shape == (2,)


def test_build_rejects_unknown_keys_and_values():
    with pytest.raises(ZooError, match="no config key.*foo.*valid keys are channels, resolution, width, z_dim"):
        zoo.build("dcgan", foo=1)
    with pytest.raises(ZooError, match="resolution 32 or 64, not 48"):
        zoo.build("dcgan", resolution=48)


def test_unknown_names_suggest_close_ones():
    with pytest.raises(ZooError, match=r"unknown model 'dcgan-cifar10'.*Did you mean 'dcgan-cifar10-32'"):
        zoo.load("dcgan-cifar10")


def test_list_models_wildcards():
    assert zoo.list_models("dcgan*") == ["dcgan", "dcgan-celeba64", "dcgan-cifar10-32", "dcgan-fashion-mnist-32"]
    registered = sorted({*get_registry().architectures, *get_registry().checkpoints})
    assert zoo.list_models("*-32") == [name for name in registered if name.endswith("-32")]
    assert "dcgan-cifar10-32" in zoo.list_models("*-32") and "dcgan" not in zoo.list_models("*-32")
    assert zoo.list_models("nope*") == []


def test_unconditional_model_refuses_labels_and_truncation(dcgan):
    with pytest.raises(ZooError, match="unconditional"):
        dcgan.sample(2, labels=[1, 2])
    with pytest.raises(ZooError, match="does not support truncation"):
        dcgan.sample(2, truncation=0.5)
    with pytest.raises(ZooError, match="truncation must be in"):
        dcgan.sample(2, truncation=1.5)
    with pytest.raises(ZooError, match="between 1 and"):
        dcgan.sample(0)


def test_to_moves_and_casts(dcgan):
    handle = zoo.load("dcgan").to("cpu", "bfloat16")
    assert handle.dtype == torch.bfloat16 and handle.device.type == "cpu"
    with pytest.raises(ZooError, match="unknown dtype"):
        handle.to(dtype="int3")


def test_repr_says_where_the_weights_came_from(dcgan, tmp_path, monkeypatch):
    """A trained run once showed as '<ModelHandle dcgan (untrained) …>': only fresh weights say untrained."""
    import shutil

    from zoo.specs import bundled_path

    run = tmp_path / "runs" / "dcgan"
    run.mkdir(parents=True)
    shutil.copyfile(bundled_path(get_registry().checkpoints["dcgan-cifar10-32"]), run / "model.safetensors")
    monkeypatch.chdir(tmp_path)
    for name in ("runs/dcgan", "runs/dcgan/model.safetensors", str(run)):
        trained = repr(zoo.load(name))
        expected = f"{run / 'model.safetensors'}" if name == str(run) else "runs/dcgan/model.safetensors"
        assert trained.startswith(f"<ModelHandle dcgan from {expected} {{"), trained
        assert "untrained" not in trained
    assert repr(dcgan).startswith("<ModelHandle dcgan-cifar10-32 {")
    for fresh in (zoo.build("dcgan", width=8), zoo.load("dcgan", pretrained=False)):
        assert repr(fresh).startswith("<ModelHandle dcgan (untrained) {"), repr(fresh)
