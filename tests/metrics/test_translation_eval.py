"""Evaluation of image-to-image models (issue #30): FID/KID against the target domain, L1/PSNR/SSIM against targets.

Toy translators registered here (an identity, one way and two ways) make the expected values exact:
on pairs whose targets equal their inputs an identity scores L1 0, PSNR at its cap and SSIM 1; on
targets 5 grey levels brighter it scores L1 5/255 and PSNR 20 log10(255 / 5). FID and KID use the
test-only pixel extractor (no download); SSIM is checked against closed forms and an independent
scipy implementation of Wang et al. 2004 (the one scikit-image uses).
"""

from __future__ import annotations

import json
import math
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from PIL import Image
from torch import nn
from zoo import ArchitectureSpec, ZooError, hookimpl
from zoo.interfaces import ImageToImageGenerator
from zoo.metrics.paired import PSNR_CAP, l1, psnr, ssim
from zoo.metrics.summary import card_metrics, protocol_line
from zoo.metrics.translation import evaluate_translation
from zoo.training.evaluation import BEST_RECORD, BEST_WEIGHTS, TrainingEvaluator

PIXELS = "test-pixels"  # registered by this folder's conftest: pooled pixels, no weights to fetch
SIZE, COUNT = 16, 60  # more images than the pixel features' 48 dimensions, so FID is well defined


class Identity(ImageToImageGenerator):
    """Returns its input: translations equal the inputs, to the grey level."""

    def __init__(self, resolution: int = SIZE) -> None:
        super().__init__(resolution=resolution, channels=3)
        self.gain = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain


class TwoWayIdentity(Identity):
    """An identity both ways, as a CycleGAN with two generators."""

    directions = ("a2b", "b2a")

    def __init__(self, resolution: int = SIZE) -> None:
        super().__init__(resolution)
        self.back = Identity(resolution)

    def translator(self, direction: str) -> nn.Module:
        return {"a2b": self, "b2a": self.back}[direction]


def _plugin() -> types.ModuleType:
    module = types.ModuleType("toy_eval_translators")

    @hookimpl
    def register_architectures(register):
        for name, cls in (("toy-identity", "Identity"), ("toy-two-way-identity", "TwoWayIdentity")):
            register(ArchitectureSpec(name=name, task="image-to-image", generator=f"{__name__}:{cls}"))

    module.register_architectures = register_architectures
    return module


@pytest.fixture
def toys(zoo_registered_plugin, zoo_home, tmp_path):
    """The toys registered; ``toys(name)`` is a run directory holding its weights (what zoo eval takes)."""
    from zoo.weights import save_weights

    def run(name: str) -> Path:
        folder = tmp_path / f"run-{name}"
        folder.mkdir(exist_ok=True)
        generator = zoo.build(name).generator
        save_weights(folder / "model.safetensors", generator.state_dict(), family=name, config={})
        return folder

    with zoo_registered_plugin(_plugin()):
        yield run


def _images(count: int, seed: int) -> np.ndarray:
    """Smooth random uint8 images in 0-250 (so +5 stays in range)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 240, (count, 4, 4, 3)).repeat(SIZE // 4, 1).repeat(SIZE // 4, 2)
    return np.clip(base + rng.integers(0, 11, (count, SIZE, SIZE, 3)), 0, 250).astype(np.uint8)


@pytest.fixture
def paired(tmp_path: Path) -> dict[str, Path]:
    """Pairs with targets equal to the inputs and 5 grey levels brighter; a test split beside a train one."""
    a = _images(COUNT, 0)
    same, brighter = tmp_path / "same.npz", tmp_path / "brighter.npz"
    np.savez(same, train_A=_images(8, 1), train_B=_images(8, 2), test_A=a, test_B=a)
    np.savez(brighter, test_A=a, test_B=a + 5)
    return {"same": same, "brighter": brighter}


@pytest.fixture
def unpaired(tmp_path: Path) -> Path:
    """CycleGAN's layout: two domains per split, of different sizes, the test split smaller than the features."""
    path = tmp_path / "horse2zebra.npz"
    np.savez(path, trainA=_images(10, 3), trainB=_images(12, 4), testA=_images(20, 5), testB=_images(30, 6))
    return path


# ---- the measures ------------------------------------------------------------------------------------


def _scipy_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """SSIM of one (H, W) channel as scikit-image computes it (gaussian_weights, sigma 1.5, population covariance)."""
    from scipy.ndimage import gaussian_filter

    def blur(z: np.ndarray) -> np.ndarray:
        return gaussian_filter(z, sigma=1.5, truncate=3.5)  # radius int(3.5 * 1.5 + 0.5) = 5: an 11x11 window

    x, y = x.astype(np.float64), y.astype(np.float64)
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    index = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return float(index[5:-5, 5:-5].mean())  # the window positions that fit, as the paper's 'valid' filter


def test_ssim_is_one_for_identical_images_and_matches_closed_forms_and_an_independent_implementation():
    generator = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (3, 3, 24, 20), dtype=torch.uint8, generator=generator)
    y = (x.int() + torch.randint(-40, 41, x.shape, generator=generator)).clamp(0, 255).to(torch.uint8)
    assert ssim(x, x).tolist() == pytest.approx([1.0] * 3, abs=1e-12)
    a, b = torch.full((1, 1, 16, 16), 100, dtype=torch.uint8), torch.full((1, 1, 16, 16), 150, dtype=torch.uint8)
    c1 = (0.01 * 255) ** 2  # flat images: only the luminance term differs from 1
    assert float(ssim(a, b)) == pytest.approx((2 * 100 * 150 + c1) / (100**2 + 150**2 + c1), rel=1e-12)
    expected = [np.mean([_scipy_ssim(x[i, c].numpy(), y[i, c].numpy()) for c in range(3)]) for i in range(3)]
    assert ssim(x, y).tolist() == pytest.approx(expected, abs=1e-10)
    assert 0.1 < min(expected) < 0.99
    with pytest.raises(ZooError, match="at least 11x11"):
        ssim(x[..., :10, :10], y[..., :10, :10])


def test_psnr_and_l1_of_a_constant_offset_and_of_identical_images():
    x = torch.randint(0, 200, (2, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    for offset in (1, 5, 40):
        assert psnr(x + offset, x).tolist() == pytest.approx([20 * math.log10(255 / offset)] * 2, abs=1e-9)
        assert l1(x + offset, x).tolist() == pytest.approx([offset / 255] * 2, abs=1e-12)
    assert psnr(x, x).tolist() == [PSNR_CAP, PSNR_CAP]  # finite, so JSON and cards can hold it
    assert l1(x, x).tolist() == [0.0, 0.0]


# ---- evaluate_translation -----------------------------------------------------------------------------


def test_an_identity_on_pairs_equal_to_their_inputs_is_perfect(toys, paired):
    handle = zoo.load(str(toys("toy-identity")))
    result = evaluate_translation(handle, paired["same"], extractor=PIXELS, progress=False)
    assert set(result.values) == {"fid", "kid", "kid_std", "l1", "psnr", "ssim"}
    assert result.values["l1"] == 0 and result.values["psnr"] == PSNR_CAP
    assert result.values["ssim"] == pytest.approx(1.0, abs=1e-12)
    assert result.values["fid"] == pytest.approx(0.0, abs=1e-6)
    protocol = result.protocol
    assert protocol["task"] == "image-to-image" and protocol["extractor"] == PIXELS
    assert protocol["reference"]["split"] == "test" and protocol["reference"]["layout"] == "paired"
    assert protocol["directions"]["a2b"]["num_translated"] == COUNT and "fid_samples" not in protocol
    assert "capped at 100 dB" in protocol["paired"] and "Wang et al. 2004" in protocol["paired"]
    assert result.labels["psnr"] == "PSNR (dB)" and result.labels["fid"] == f"FID ({PIXELS} features)"
    json.dumps(result.as_dict(), allow_nan=False)  # every value finite: it can go to metrics.json and a card


def test_targets_five_grey_levels_brighter_give_the_expected_l1_and_psnr(toys, paired):
    handle = zoo.load(str(toys("toy-identity")))
    result = evaluate_translation(handle, paired["brighter"], ["l1", "psnr", "ssim"], progress=False)
    assert set(result.values) == {"l1", "psnr", "ssim"}
    assert result.values["l1"] == pytest.approx(5 / 255, abs=1e-12)
    assert result.values["psnr"] == pytest.approx(20 * math.log10(255 / 5), abs=1e-9)
    assert 0.99 < result.values["ssim"] < 1.0  # the luminance term alone sees a small shift
    assert "extractor" not in result.protocol, "no features were extracted for pixel measures alone"
    line = protocol_line(result.protocol)
    assert "a2b of 60 A test images vs 60 B" in line and "PSNR per image" in line and "Inception" not in line


def test_a_two_way_model_reports_both_directions_with_their_names(toys, unpaired):
    handle = zoo.load(str(toys("toy-two-way-identity")))
    result = evaluate_translation(handle, unpaired, ["fid", "kid"], extractor=PIXELS, progress=False)
    assert set(result.values) == {"fid_a2b", "kid_a2b", "kid_a2b_std", "fid_b2a", "kid_b2a", "kid_b2a_std"}
    assert result.labels["fid_b2a"] == f"FID b2a ({PIXELS} features)" and result.labels["kid_a2b_std"].startswith(
        "KID a2b std"
    )
    directions = result.protocol["directions"]
    assert (directions["a2b"]["num_translated"], directions["a2b"]["num_real"]) == (20, 30)
    assert (directions["b2a"]["num_translated"], directions["b2a"]["num_real"]) == (30, 20)
    assert "fewer images than the 48 feature dimensions" in result.protocol["fid_samples"]
    one = evaluate_translation(handle, unpaired, ["kid"], directions=["b2a"], n=10, extractor=PIXELS, progress=False)
    assert set(one.values) == {"kid_b2a", "kid_b2a_std"} and one.protocol["subset_seed"] == 0
    assert one.protocol["directions"]["b2a"]["num_translated"] == 10


@pytest.mark.parametrize(
    ("data", "kwargs", "fragment"),
    [
        ("unpaired", {"metrics": ["fid", "psnr"]}, "psnr compare each translation with its own target"),
        ("unpaired", {"split": "val"}, "has no 'val' split; it holds: test, train"),
        ("same", {"metrics": ["is"]}, "is measure generators; translations are measured by fid, kid, l1"),
        ("same", {"directions": ["b2a"]}, "translates only a2b, not 'b2a'"),
    ],
)
def test_what_cannot_be_measured_is_refused_in_one_line(toys, paired, unpaired, data, kwargs, fragment):
    handle = zoo.load(str(toys("toy-identity")))
    with pytest.raises(ZooError, match=fragment) as caught:
        evaluate_translation(handle, unpaired if data == "unpaired" else paired[data], extractor=PIXELS, **kwargs)
    assert "\n" not in str(caught.value)


def test_data_without_splits_is_used_whole_and_the_protocol_says_so(toys, tmp_path):
    for side, offset in (("A", 0), ("B", 5)):
        (tmp_path / "pairs" / side).mkdir(parents=True)
        for index, image in enumerate(_images(3, 7) + offset):
            Image.fromarray(image).save(tmp_path / "pairs" / side / f"{index}.png")
    handle = zoo.load(str(toys("toy-identity")))
    result = evaluate_translation(handle, tmp_path / "pairs", ["psnr"], progress=False)  # split: test by default
    assert result.values["psnr"] == pytest.approx(20 * math.log10(255 / 5))
    assert result.protocol["reference"]["split"] == "all"


# ---- zoo eval and zoo.evaluate ------------------------------------------------------------------------


def test_zoo_eval_prints_translation_fid_and_paired_measures_and_records_them_for_the_card(toys, paired, zoo_here):
    run = toys("toy-identity")
    code, out, err = zoo_here("eval", str(run), "--data", str(paired["brighter"]), "--extractor", PIXELS, "-q")
    assert code == 0, err
    lines = out.splitlines()
    assert f"FID ({PIXELS} features): " in out and f"KID ({PIXELS} features): " in out
    assert f"PSNR (dB): {20 * math.log10(51):.6g}" in lines and any(line.startswith("SSIM: 0.99") for line in lines)
    assert any(line.startswith("L1 (mean |translation - target|, 0-1 scale): 0.0196") for line in lines)
    assert lines[-2].startswith(f"protocol: {PIXELS} features") and lines[-1] == f"wrote {run / 'metrics.json'}"
    document = json.loads((run / "metrics.json").read_text())
    metrics, _ = card_metrics(document, document["evaluations"][0]["model_sha256"], "metrics.json")
    assert metrics["psnr"] == 34.2 and "translations a2b of 60 A test images" in metrics["protocol"]
    same = zoo.evaluate(str(run / "model.safetensors"), paired["same"], "psnr,ssim", progress=False)
    assert same.values == {"psnr": PSNR_CAP, "ssim": pytest.approx(1.0, abs=1e-12)}


def test_zoo_eval_of_a_two_way_model_names_each_direction(toys, unpaired, zoo_here):
    code, out, err = zoo_here(
        "eval", str(toys("toy-two-way-identity")), "--data", str(unpaired), "--extractor", PIXELS, "--json", "-q"
    )
    assert code == 0, err
    assert set(json.loads(out)["results"]) == {"fid_a2b", "kid_a2b", "kid_a2b_std", "fid_b2a", "kid_b2a", "kid_b2a_std"}


@pytest.mark.parametrize(
    ("model", "data", "extra", "fragment"),
    [
        ("toy-identity", "unpaired", ("--metrics", "l1"), "l1 compare each translation with its own target"),
        ("toy-identity", "same", ("--metrics", "fid,pr"), "pr measure generators"),
        ("toy-identity", "same", ("--split", "val"), "has no 'val' split; it holds: test, train"),
        ("toy-identity", "same", ("--metrics", "fid,bogus"), "unknown metric(s) 'bogus'"),
        ("dcgan", "same", ("--metrics", "fid,psnr"), "psnr compare translations with their targets, but dcgan"),
    ],
)
def test_zoo_eval_refusals_are_one_line_exit_2(toys, paired, unpaired, zoo_here, model, data, extra, fragment):
    name = model if model == "dcgan" else str(toys(model))
    path = unpaired if data == "unpaired" else paired[data]
    code, out, err = zoo_here("eval", name, "--data", str(path), "--extractor", PIXELS, "-q", *extra)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert fragment in lines[0]


# ---- evaluation during training ------------------------------------------------------------------------


def test_training_evaluation_of_a_two_way_translator_keeps_the_best_by_fid_a2b(toys, unpaired, capsys):
    run = toys("toy-two-way-identity")
    evaluator = TrainingEvaluator(run, str(unpaired), "fid,kid", 100, PIXELS, "", True)  # as the GAN trainer builds it
    record = evaluator.evaluate(2)
    assert set(record["eval"]) == {"fid_a2b", "kid_a2b", "kid_a2b_std", "fid_b2a", "kid_b2a", "kid_b2a_std"}
    best = json.loads((run / BEST_RECORD).read_text())
    assert best["metric"] == "fid_a2b" and best["step"] == 2 and (run / BEST_WEIGHTS).is_file()
    assert best["protocol"]["reference"]["split"] == "test"
    line = evaluator.summary(record)
    assert "best fid_a2b" in line and f"{PIXELS} features" in line and "no test split" not in line
    resumed = TrainingEvaluator(run, str(unpaired), "fid,kid", 100, PIXELS, "", True)
    resumed.restore(2)  # before the weights say the model is two-way, the default's two-way name is kept
    assert resumed.best is not None and resumed.best.metric == "fid_a2b"
    told = TrainingEvaluator(run, str(unpaired), "kid", 100, PIXELS, "", True, task="image-to-image")
    told.evaluate(4)  # the task given, the directions not: the weights tell them
    assert told.best_metric == "kid_a2b"


def test_training_evaluation_keeps_the_best_psnr_higher_is_better(toys, paired, tmp_path):
    from zoo.weights import load_tensors, save_weights

    run = toys("toy-identity")
    evaluator = TrainingEvaluator(run, str(paired["same"]), "psnr,l1", 60, "auto", "", True)
    first = evaluator.evaluate(2)
    assert first["eval"]["psnr"] == PSNR_CAP and evaluator.best_metric == "psnr"
    state = {"gain": load_tensors(run / "model.safetensors")["gain"] * 0.9}
    save_weights(run / "model.safetensors", state, family="toy-identity", config={})
    worse = evaluator.evaluate(4)
    assert worse["eval"]["psnr"] < PSNR_CAP and worse["eval"]["l1"] > 0
    assert json.loads((run / BEST_RECORD).read_text())["step"] == 2, "a lower PSNR is worse"
    assert "features" not in evaluator.summary(worse), "L1 and PSNR read no features"


def test_training_evaluation_without_a_test_split_says_what_it_uses(toys, tmp_path):
    data = tmp_path / "train-only.npz"
    np.savez(data, trainA=_images(6, 8), trainB=_images(6, 9))
    evaluator = TrainingEvaluator(toys("toy-identity"), str(data), "kid", 6, PIXELS, "", True)
    record = evaluator.evaluate(1)
    assert "evaluated on its train split: the data has no test split" in evaluator.summary(record)


def test_paired_measures_are_accepted_as_settings_but_refused_for_a_generator_run_or_unpaired_data(
    tmp_path, paired, unpaired
):
    from zoo.registry import get_registry
    from zoo.training.settings import resolve_settings

    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {"eval_metrics": "fid,psnr,ssim", "best_metric": "psnr_b2a"})
    assert settings.eval_metrics == "fid,psnr,ssim"
    with pytest.raises(ZooError, match="not reported by eval_metrics=fid"):
        resolve_settings(arch, None, {"eval_metrics": "fid", "best_metric": "psnr"})
    with pytest.raises(ZooError, match="psnr compare translations with their targets: this run trains a generator"):
        TrainingEvaluator(tmp_path, str(paired["same"]), "fid,psnr", 10, PIXELS, "", True, task=arch.task)
    with pytest.raises(ZooError, match="psnr compare each translation with its own target, but .* is unpaired"):
        TrainingEvaluator(tmp_path, str(unpaired), "fid,psnr", 10, PIXELS, "", True, task="image-to-image")
