"""Both methods end to end on tiny pictures with random features: the loss falls, size and range are kept."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import zoo
from PIL import Image
from styletools import TINY_BACKBONE, TINY_LAYERS
from zoo.errors import ZooError
from zoo.image_io import open_image, to_tensor
from zoo_style_transfer.loss_weights import LossWeights
from zoo_style_transfer.losses import PerceptualLoss, gram, total_variation
from zoo_style_transfer.optimize import OptimizeSettings, optimize
from zoo_style_transfer.train import TrainSettings, train


def test_gram_and_total_variation_on_known_inputs():
    f = torch.tensor([[1.0, 2.0], [0.0, 1.0]]).reshape(1, 2, 1, 2)
    assert torch.allclose(gram(f), torch.tensor([[[5.0, 2.0], [2.0, 1.0]]]) / 4)
    flat = torch.full((1, 3, 4, 4), 0.5)
    assert total_variation(flat) == 0
    step = flat.clone()
    step[..., 2:] = 1.0  # one vertical edge of height 0.5, 4 rows, 3 channels
    assert torch.isclose(total_variation(step), torch.tensor(4 * 3 * 0.25))


@pytest.mark.parametrize(("optimizer", "init"), [("lbfgs", "content"), ("adam", "noise")])
def test_gatys_optimisation_lowers_the_loss_and_keeps_size_and_range(images, tiny_features, optimizer, init):
    content = to_tensor(open_image(images["content"]).image)
    style = to_tensor(open_image(images["style"]).image)
    loss = PerceptualLoss(tiny_features, style, LossWeights(content=1.0, style=1e5, tv=1e-5))  # the CLI defaults
    settings = OptimizeSettings(steps=12, optimizer=optimizer, init=init, lr=None if optimizer == "lbfgs" else 0.05)
    result, history = optimize(content, loss, settings, progress=False)
    final = float(loss(result, loss.content_targets(content))["total"])
    assert final < 0.7 * history[0], (history, final)
    assert result.shape == content.shape == (1, 3, 32, 40)
    assert result.min() >= 0 and result.max() <= 1
    if init == "content":
        assert not torch.equal(result, content)


def test_bad_optimisation_settings_say_what_to_use(images, tiny_features):
    style = to_tensor(open_image(images["style"]).image)
    with pytest.raises(ZooError, match="both 0"):
        PerceptualLoss(tiny_features, style, LossWeights(content=0, style=0))
    with pytest.raises(ZooError, match="unknown optimizer 'sgd': choose lbfgs or adam"):
        OptimizeSettings(optimizer="sgd").check()
    with pytest.raises(ZooError, match="style weight must be a finite number >= 0"):
        OptimizeSettings(weights=LossWeights(style=-1)).check()


def test_johnson_training_lowers_the_perceptual_loss_and_writes_a_loadable_run(images, tmp_path):
    settings = TrainSettings(
        style=str(images["style"]),
        data=str(images["folder"]),
        steps=24,
        batch_size=2,
        image_size=32,
        style_size=48,
        lr=1e-2,
        weights=LossWeights(content=1.0, style=1e3, tv=1e-4),
        backbone=TINY_BACKBONE,
        pretrained_backbone=False,
        width=4,
        res_blocks=1,
        log_every=1,
        **TINY_LAYERS,
    )
    run = tmp_path / "run"
    weights = train(settings, run, progress=False, command="zoo train style-transfer ...")
    log = [json.loads(line) for line in (run / "progress.jsonl").read_text().splitlines()]
    first, last = sum(e["total"] for e in log[:4]) / 4, sum(e["total"] for e in log[-4:]) / 4
    assert last < 0.8 * first, [round(e["total"], 4) for e in log]
    record = json.loads((run / "train_config.json").read_text())
    assert record["command"] == "zoo train style-transfer ..." and record["settings"]["steps"] == 24
    assert Image.open(run / "sample.png").size == (48, 40)

    handle = zoo.load(str(run))
    assert handle.architecture.name == "style-transfer" and weights.exists()
    picture = handle(str(images["content"]))
    assert isinstance(picture, Image.Image) and picture.size == (40, 32) and picture.mode == "RGB"
    batch = torch.rand(2, 3, 30, 22)
    out = handle(batch)
    assert out.shape == batch.shape and 0 <= out.min() and out.max() <= 1
    assert handle(batch[0]).shape == (3, 30, 22)
    with pytest.raises(ZooError, match="image-to-image: it has nothing to sample"):
        handle.sample(4)
    with pytest.raises(ZooError, match="already holds a trained network"):
        train(settings, run, progress=False)


def test_training_refuses_a_missing_or_empty_content_folder(images, tmp_path):
    settings = TrainSettings(style=str(images["style"]), data=str(tmp_path / "absent"))
    with pytest.raises(ZooError, match="content folder .* does not exist"):
        train(settings, tmp_path / "run", progress=False)
    (tmp_path / "empty").mkdir()
    settings.data = str(tmp_path / "empty")
    with pytest.raises(ZooError, match="holds no images"):
        train(settings, tmp_path / "run", progress=False)


def test_the_reported_losses_are_those_of_the_start_and_the_returned_image(images, tiny_features):
    """L-BFGS's last closure call is a line-search trial, and the result is clipped: neither is what it returns."""
    content = to_tensor(open_image(images["content"]).image)
    style = to_tensor(open_image(images["style"]).image)
    loss = PerceptualLoss(tiny_features, style, LossWeights(content=1.0, style=1e5, tv=1e-5))
    result, history = optimize(content, loss, OptimizeSettings(steps=5), progress=False)
    targets = loss.content_targets(content)
    with torch.no_grad():
        assert history[0] == pytest.approx(float(loss(content, targets)["total"]), rel=1e-5)
        assert history[-1] == pytest.approx(float(loss(result, targets)["total"]), rel=1e-5)
    assert len(history) == 6 and history[-1] < history[0]


def test_the_seed_fixes_a_random_backbone(images):
    from zoo_style_transfer import stylize

    def run(seed: int) -> np.ndarray:
        settings = OptimizeSettings(steps=2, seed=seed)
        result = stylize(
            images["content"],
            str(images["style"]),
            size=24,
            backbone=TINY_BACKBONE,
            pretrained_backbone=False,
            settings=settings,
            progress=False,
            **TINY_LAYERS,
        )
        return np.asarray(result.image)

    first = run(3)
    assert np.array_equal(first, run(3)), "the same seed gave another picture"
    assert not np.array_equal(first, run(4))


def test_float16_is_refused_and_bf16_is_for_the_fast_method(images):
    from zoo_style_transfer import stylize

    with pytest.raises(ZooError, match="unknown dtype 'float16': choose auto, float32 or bfloat16"):
        stylize(images["content"], str(images["style"]), dtype="float16")
    with pytest.raises(ZooError, match="applies to the fast method only"):
        stylize(images["content"], str(images["style"]), dtype="bfloat16")


def test_notes_are_heard_before_the_optimisation_starts(images, monkeypatch):
    """The backbone note used to be printed only after a run that may take many minutes."""
    import zoo_style_transfer.optimize as optimize_module
    from zoo_style_transfer import stylize

    heard: list[str] = []
    real_optimize = optimize_module.optimize

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        assert any("SqueezeNet" in note for note in heard), heard  # said before the work, not after
        return real_optimize(*args, **kwargs)

    monkeypatch.setattr(optimize_module, "optimize", watched)
    settings = OptimizeSettings(steps=1)
    result = stylize(images["content"], str(images["style"]), settings=settings, progress=False, on_note=heard.append)
    assert heard == result.notes and any("SqueezeNet" in note for note in result.notes)
