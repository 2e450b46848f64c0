"""``zoo train`` for image-to-image families: Pix2Pix's paired loop and CycleGAN's two-way one.

Toy networks registered here stand in for the plugins (a few convolutions, so a step takes
milliseconds): a one-way translator with a conditional patch critic, and a two-way pair with one
critic per direction. What is checked is the trainer's contract, not image quality.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from translation_toys import toy_plugin
from zoo import ZooError
from zoo.weights import load_tensors

PIX = {"loss": "bce", "batch_size": 2, "l1_weight": 100.0, "ema_decay": 0.0, "load_size": 18, "steps": 6}
CYCLE = {
    "loss": "lsgan", "batch_size": 2, "cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 3,
    "ema_decay": 0.0, "steps": 6, "lr_decay": "linear", "lr_decay_from": 0.5,
}  # fmt: skip


@pytest.fixture
def toys(zoo_registered_plugin):
    families = (("toy-pix", "OneWay", "ConditionalCritic", PIX), ("toy-cycle", "TwoWay", "TwoCritics", CYCLE))
    with zoo_registered_plugin(toy_plugin(families)):
        yield


def _images(n: int, size: int, channels: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, channels), dtype=np.uint8)


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    """Paired data: B is A's colour negative, so there is something to learn; a test split for the grids."""
    a, test_a = _images(10, 20, 3, 0), _images(4, 20, 3, 1)
    path = tmp_path / "pairs.npz"
    np.savez(path, A=a, B=255 - a, test_A=test_a, test_B=255 - test_a)
    return path


@pytest.fixture
def domains(tmp_path: Path) -> Path:
    """Two unpaired domains of different sizes, CycleGAN's trainA/trainB layout."""
    path = tmp_path / "domains.npz"
    np.savez(path, trainA=_images(7, 16, 3, 2), trainB=_images(5, 16, 3, 3))
    return path


def _quiet(**settings):
    return {"sample_every": 3, "checkpoint_every": 3, "log_every": 1} | settings


def test_a_paired_run_trains_exports_and_translates(toys, pairs, tmp_path):
    out = tmp_path / "run"
    weights = zoo.train("toy-pix", pairs, out, settings=_quiet(), quiet=True, say=lambda _: None)
    assert weights == out / "model.safetensors"
    log = [json.loads(line) for line in (out / "progress.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert {"g_loss", "d_loss", "l1"} <= set(log[-1])
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step-000003.png", "step-000006.png"]
    handle = zoo.load(out)
    translated = handle.translate(torch.rand(2, 3, 16, 16))
    assert translated.shape == (2, 3, 16, 16)


def test_the_l1_term_pulls_translations_to_the_targets(toys, pairs, tmp_path):
    """With l1_weight the paired loss falls: the toy learns the colour negative it is shown."""
    out = tmp_path / "run"
    settings = _quiet(steps=40, lr_g=1e-2, flip=False, load_size=0)
    zoo.train("toy-pix", pairs, out, settings=settings, quiet=True, say=lambda _: None)
    l1 = [json.loads(line)["l1"] for line in (out / "progress.jsonl").read_text().splitlines()]
    assert np.mean(l1[-5:]) < 0.5 * np.mean(l1[:5])


@pytest.mark.parametrize("family,data", [("toy-pix", "pairs"), ("toy-cycle", "domains")])
def test_a_resumed_run_ends_with_the_same_weights(toys, family, data, request, tmp_path):
    """Stopped at step 3 and resumed: weights, optimisers and the image pool equal an uninterrupted run's."""
    path = request.getfixturevalue(data)
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    zoo.train(family, path, straight, settings=_quiet(), quiet=True, say=lambda _: None)
    zoo.train(family, path, halves, settings=_quiet(), until=3, quiet=True, say=lambda _: None)
    zoo.train(family, path, halves, resume=True, quiet=True, say=lambda _: None)
    first, second = load_tensors(straight / "checkpoint.safetensors"), load_tensors(halves / "checkpoint.safetensors")
    assert first.keys() == second.keys()
    different = [k for k in first if not torch.equal(first[k], second[k])]
    assert different == []
    if family == "toy-cycle":
        assert int(first["image_pool.a2b.count"]) == 3 and first["image_pool.b2a.images"].abs().sum() > 0


def test_a_two_way_model_reads_pairs_as_two_domains(toys, pairs, tmp_path, monkeypatch):
    """CycleGAN draws B independently of A: given pairs, its batches are not the pairs."""
    from zoo.training import translation_batches

    seen = []
    original = translation_batches.TranslationBatches.batch
    monkeypatch.setattr(
        translation_batches.TranslationBatches, "batch", lambda self, *a: seen.append(self.paired) or original(self, *a)
    )
    zoo.train("toy-cycle", pairs, tmp_path / "run", settings=_quiet(steps=2), quiet=True, say=lambda _: None)
    assert seen == [False, False]


def test_a_two_way_run_logs_both_directions_and_its_cycle(toys, domains, tmp_path):
    out = tmp_path / "run"
    zoo.train("toy-cycle", domains, out, settings=_quiet(), quiet=True, say=lambda _: None)
    record = json.loads((out / "progress.jsonl").read_text().splitlines()[-1])
    assert {"g_loss_a2b", "g_loss_b2a", "d_loss_a2b", "d_loss_b2a", "cycle", "identity"} <= set(record)
    handle = zoo.load(out)
    assert handle.translate(torch.rand(1, 3, 16, 16), direction="b2a").shape == (1, 3, 16, 16)


@pytest.mark.parametrize(
    "family,data,settings,message",
    [
        ("toy-pix", "domains", {}, "learns from pairs, and .* holds two unpaired domains"),
        ("toy-cycle", "domains", {"l1_weight": 1.0}, "l1_weight is Pix2Pix's paired term"),
        ("toy-cycle", "domains", {"cycle_weight": 0.0}, "is two-way: set cycle_weight"),
        ("toy-pix", "pairs", {"pool_size": 5}, "pool_size needs a two-way model"),
        ("toy-pix", "pairs", {"n_critic": 2}, "n_critic is read only by the GAN trainer for latent generators"),
        ("toy-pix", "pairs", {"load_size": 8}, "load_size=8 is below the model's size 16"),
        ("dcgan", "pairs", {"l1_weight": 100.0}, "l1_weight is read only by the image-to-image trainer"),
    ],
)
def test_settings_the_trainer_cannot_use_are_refused_by_name(toys, family, data, settings, message, request, tmp_path):
    path = request.getfixturevalue(data)
    if family == "dcgan":  # a latent GAN: its data is a plain image set
        np.savez(path.with_name("images.npz"), x_train=_images(4, 32, 3, 0))
        path = path.with_name("images.npz")
    with pytest.raises(ZooError, match=message):
        zoo.train(family, path, tmp_path / "run", settings=settings, quiet=True, say=lambda _: None)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("family", "data", "back"), [("toy-pix", "pairs", False), ("toy-cycle", "domains", True)])
def test_a_pushed_translator_card_says_how_to_translate_both_ways(toys, family, data, back, request, tmp_path):
    """The card once told users to call .sample(16); a two-way card also shows --direction b2a."""
    out = tmp_path / "run"
    zoo.train(family, request.getfixturevalue(data), out, settings=_quiet(), quiet=True, say=lambda _: None)
    zoo.push(out, "me/toy", dry_run=True, out=tmp_path / "hub", license="mit", no_metrics=True, say=lambda _: None)
    card = (tmp_path / "hub" / "README.md").read_text()
    assert "zoo translate hf-hub:me/toy photo.png -o translated.png" in card and ".sample(" not in card
    assert ("--direction b2a" in card) is back
    assert "It translates RGB images into RGB ones" in card


@pytest.fixture
def masked_pairs(tmp_path: Path) -> Path:
    """Inpainting pairs: A is RGB with a hole plus the hole's mask (4 channels), B the whole image."""
    whole = _images(10, 20, 3, 4)
    mask = np.zeros((10, 20, 20, 1), dtype=np.uint8)
    mask[:, 6:14, 6:14] = 255
    holed = np.where(mask == 255, 0, whole).astype(np.uint8)
    path = tmp_path / "masked.npz"
    a = np.concatenate([holed, mask], axis=-1)
    np.savez(path, A=a, B=whole, test_A=a[:4], test_B=whole[:4])
    return path


def test_a_translator_reads_an_extra_input_channel_end_to_end(toys, masked_pairs, tmp_path):
    """RGB + mask in, RGB out: trained from the .npz, evaluated, translated from an RGBA file and an .npz."""
    from PIL import Image
    from zoo.metrics.job import evaluate_model

    out = tmp_path / "run"
    zoo.train("toy-pix", masked_pairs, out, settings=_quiet(), quiet=True, say=lambda _: None)
    assert json.loads((out / "train_config.json").read_text())["settings"]["model"]["in_channels"] == 4
    handle = zoo.load(out)
    assert handle.translate(torch.rand(2, 4, 16, 16)).shape == (2, 3, 16, 16)
    rgba = np.load(masked_pairs)["A"][0]
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "holed.png")
    picture = handle.translate(tmp_path / "holed.png")
    assert picture.mode == "RGB" and picture.size == (20, 20)
    expected = handle.translate(torch.from_numpy(rgba).permute(2, 0, 1).float().div(255))
    got = torch.from_numpy(np.array(picture)).permute(2, 0, 1).float()
    assert (got - expected.clamp(0, 1).mul(255).round()).abs().max() <= 1, "the file's alpha is the mask channel"
    zoo.translate(out, masked_pairs, tmp_path / "done.npz")
    assert np.load(tmp_path / "done.npz")["images"].shape[1:] == (20, 20, 3)
    Image.fromarray(rgba[..., :3], mode="RGB").save(tmp_path / "no_mask.png")
    with pytest.raises(ZooError, match="no alpha") as error:
        handle.translate(tmp_path / "no_mask.png")
    assert "\n" not in str(error.value)
    evaluation = evaluate_model(str(out), str(masked_pairs), metrics="l1,psnr,ssim", progress=False)
    assert set(evaluation.values) >= {"l1", "psnr", "ssim"}
    zoo.push(out, "me/toy", dry_run=True, out=tmp_path / "hub", license="mit", no_metrics=True, say=lambda _: None)
    card = (tmp_path / "hub" / "README.md").read_text()
    assert "It translates RGB + mask/alpha images into RGB ones" in card and "PNG's alpha channel" in card
    assert "zoo translate hf-hub:me/toy masked.png" in card and "photo.png" not in card


@pytest.mark.parametrize(
    ("arrays", "fragment"),
    [
        ({"A": _images(4, 8, 3, 0), "B": _images(4, 8, 4, 1)}, "B: a paired dataset's targets (B) are what a model"),
        ({"trainA": _images(4, 8, 4, 0), "trainB": _images(4, 8, 3, 1)}, "A: both sides of unpaired data"),
        ({"A": _images(4, 8, 5, 0), "B": _images(4, 8, 3, 1)}, "N×H×W×4 images, found shape (4, 8, 8, 5)"),
    ],
)
def test_channels_a_model_cannot_draw_are_refused_in_one_line(toys, tmp_path, arrays, fragment):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    family = "toy-pix" if "A" in arrays else "toy-cycle"
    with pytest.raises(ZooError, match=fragment.replace("(", r"\(").replace(")", r"\)")) as error:
        zoo.train(family, path, tmp_path / "run", settings=_quiet(), quiet=True, say=lambda _: None)
    assert "\n" not in str(error.value)
