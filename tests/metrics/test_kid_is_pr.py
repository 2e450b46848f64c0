"""KID, Inception Score and precision/recall against torch-fidelity on identical features; every registered metric."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import zoo
from zoo.errors import ZooError
from zoo.metrics.inception_score import InceptionScore, inception_score
from zoo.metrics.kid import KID, kernel_distance
from zoo.metrics.precision_recall import PrecisionRecall, precision_recall
from zoo.registry import get_registry


def _features(seed: int, n: int, d: int, shift: float = 0.0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    return torch.from_numpy((rng.gamma(2.0, 0.4, size=(n, d)) + shift).astype(np.float32))


def test_kid_agrees_with_torch_fidelity():
    from torch_fidelity.metric_kid import kid_features_to_metric

    fake, real = _features(0, 400, 64, shift=0.15), _features(1, 500, 64)
    ours = KID("test-pixels", subsets=20, subset_size=150)
    ours.update_features(fake, real=False)
    ours.update_features(real, real=True)
    values = ours.compute()
    reference = kid_features_to_metric(fake, real, kid_subsets=20, kid_subset_size=150, rng_seed=2020, verbose=False)
    assert values["kid"] == pytest.approx(reference["kernel_inception_distance_mean"], rel=1e-3)
    assert values["kid_std"] == pytest.approx(reference["kernel_inception_distance_std"], rel=1e-3)
    assert ours.protocol()["kid_subset_size"] == 150


def test_kid_is_about_zero_for_one_distribution_and_caps_the_subset_size():
    mean, std, used, _ = kernel_distance(_features(2, 300, 32), _features(3, 200, 32), subsets=10, subset_size=1000)
    assert used == 200
    assert abs(mean) < 3 * std + 1e-4
    shifted, _, _, _ = kernel_distance(_features(2, 300, 32, shift=0.5), _features(3, 200, 32), subsets=10)
    assert shifted > 10 * abs(mean)


def test_kid_on_two_whole_sets_is_computed_once_with_an_exact_zero_std():
    fake, real = _features(2, 120, 16), _features(3, 120, 16)
    mean, std, used, drawn = kernel_distance(fake, real, subsets=50, subset_size=1000)
    assert (used, drawn, std) == (120, 1, 0.0)
    reordered, _, _, _ = kernel_distance(fake.flip(0), real.flip(0), subsets=1, subset_size=120)
    assert mean == pytest.approx(reordered, rel=1e-9)


def test_inception_score_agrees_with_torch_fidelity():
    from torch_fidelity.metric_isc import isc_features_to_metric

    logits = torch.from_numpy(np.random.default_rng(4).normal(0, 3, size=(503, 1008)).astype(np.float32))
    metric = InceptionScore("test-pixels")
    metric.update_features({"logits": logits}, real=False)
    metric.update_features({"logits": logits}, real=True)  # ignored: IS looks at generated images only
    values = metric.compute()
    reference = isc_features_to_metric(logits, splits=10, shuffle=True, rng_seed=2020)
    assert values["is"] == pytest.approx(reference["inception_score_mean"], rel=1e-6)
    assert values["is_std"] == pytest.approx(reference["inception_score_std"], rel=1e-6)


def test_inception_score_extremes():
    assert inception_score(torch.zeros(100, 10), splits=10)[0] == pytest.approx(1.0)
    confident = torch.full((1000, 10), -50.0)
    confident[torch.arange(1000), torch.arange(1000) % 10] = 50.0
    assert inception_score(confident, splits=10, shuffle=False)[0] == pytest.approx(10.0, rel=1e-6)
    with pytest.raises(ZooError, match="at least 10 generated images"):
        inception_score(torch.zeros(5, 10), splits=10)


def test_precision_recall_agree_with_torch_fidelity():
    from torch_fidelity.metric_prc import prc_features_to_metric

    fake, real = _features(5, 300, 16, shift=0.3), _features(6, 350, 16)
    metric = PrecisionRecall("test-pixels")
    metric.update_features(fake, real=False)
    metric.update_features(real, real=True)
    values = metric.compute()
    reference = prc_features_to_metric(
        fake, real, prc_neighborhood=3, prc_batch_size=10000, save_cpu_ram=False, verbose=False
    )
    assert values["precision"] == pytest.approx(reference["precision"], rel=1e-3)
    assert values["recall"] == pytest.approx(reference["recall"], rel=1e-3)
    assert 0 < values["precision"] < 1 and 0 < values["recall"] < 1


def test_precision_recall_of_identical_sets_are_one():
    features = _features(7, 200, 8)
    assert precision_recall(features, features) == (1.0, 1.0)
    with pytest.raises(ZooError, match="more than 3 images"):
        precision_recall(features[:3], features)


@pytest.mark.parametrize("name", sorted(get_registry().metrics))
def test_every_registered_metric_runs_on_images(name):
    spec = get_registry().metrics[name]
    assert spec.plugin == "zoo-core"
    from zoo.specs import import_object

    cls = import_object(spec.builder)
    if getattr(cls, "needs_generator", False):  # PPL renders its own images from a style generator
        arch = get_registry().architectures["stylegan-lite"]
        metric = cls()
        metric.measure(zoo.build("stylegan-lite", **arch.tiny_config).generator.eval(), 8)
        assert np.isfinite(metric.compute()[name])
        metric.reset()
        with pytest.raises(ZooError, match="no measurements"):
            metric.compute()
        return
    metric = cls(extractor="test-pixels")
    extra = {"labels": torch.zeros(40, dtype=torch.long)} if cls.needs_labels else {}  # one class: 80 images each
    rng = np.random.default_rng(0)
    for real in (True, False):
        for _ in range(2):
            images = torch.from_numpy(rng.integers(0, 256, size=(40, 3, 16, 16), dtype=np.uint8))
            metric.update(images, real=real, **extra)
    if name == "fid":
        metric.allow_few_samples = False
        metric.update(torch.from_numpy(rng.integers(0, 256, size=(40, 3, 16, 16), dtype=np.uint8)), real=True)
        metric.update(torch.from_numpy(rng.integers(0, 256, size=(40, 3, 16, 16), dtype=np.uint8)), real=False)
    values = metric.compute()
    assert values and all(np.isfinite(v) for v in values.values())
    metric.reset()
    with pytest.raises(ZooError, match="needs at least"):
        metric.compute()


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.rand(2, 3, 16, 16), "must be uint8 in \\[0, 255\\], got torch.float32"),
        (torch.zeros(2, 16, 16, 3, dtype=torch.uint8), "channels-last"),
        (torch.zeros(2, 1, 16, 16, dtype=torch.uint8), "3 channels.*grayscale"),
        (torch.zeros(2, 4, 16, 16, dtype=torch.uint8), "3 channels"),
        (torch.zeros(3, 16, 16, dtype=torch.uint8), "shape \\(N, 3, H, W\\)"),
        (np.zeros((2, 3, 16, 16), dtype=np.uint8), "torch.Tensor"),
    ],
)
def test_bad_images_are_one_line_errors(images, message):
    metric = KID("test-pixels")
    with pytest.raises(ZooError, match=message) as info:
        metric.update(images, real=True)
    assert "\n" not in str(info.value)


def test_kid_from_float32_dot_products_matches_all_float64_to_1e6():
    """The speed path (sgemm, then float64) against every step in float64, on Inception-like features."""
    rng = np.random.default_rng(0)
    scales = np.arange(1, 513) ** -0.75
    fake = torch.from_numpy(np.maximum(rng.normal(size=(2000, 512)) * scales + 0.32, 0)).float()
    real = torch.from_numpy(np.maximum(rng.normal(size=(2000, 512)) * scales + 0.30, 0)).float()
    fast = kernel_distance(fake, real, subsets=5, subset_size=1000)[0]
    exact = kernel_distance(fake.double(), real.double(), subsets=5, subset_size=1000)[0]
    assert fast == pytest.approx(exact, rel=1e-6) and exact > 0
