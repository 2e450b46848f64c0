"""Perceptual path length: its distance and its filtered mean against float64 restatements; refusals."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import zoo
from zoo.errors import ZooError
from zoo.metrics.path_length import TAPS, PerceptualPathLength, SqueezeLPIPS, filtered_mean, path_distances


def _restated_distance(network: torch.nn.Module, a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """LPIPS with unit weights, one image pair at a time, every step spelled out in float64."""
    net = copy.deepcopy(network).double()
    out = []
    for x, y in zip(a.double(), b.double(), strict=True):
        fx, fy = net.preprocess((x[None] + 1) / 2), net.preprocess((y[None] + 1) / 2)
        total = 0.0
        for index, layer in enumerate(net.features[: TAPS[-1] + 1]):
            fx, fy = layer(fx), layer(fy)
            if index in TAPS:
                nx = fx / (torch.sqrt((fx**2).sum(dim=1, keepdim=True)) + 1e-10)
                ny = fy / (torch.sqrt((fy**2).sum(dim=1, keepdim=True)) + 1e-10)
                total += float(((nx - ny) ** 2).sum(dim=1).mean())
        out.append(total)
    return np.array(out)


def test_the_distance_equals_a_float64_restatement():
    distance = SqueezeLPIPS()
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(3, 3, 64, 64, generator=gen) * 2 - 1
    b = (a + 0.2 * torch.randn(3, 3, 64, 64, generator=gen)).clamp(-1, 1)
    expected = _restated_distance(distance.network, a, b)
    got64 = copy.deepcopy(distance).double()(a.double(), b.double()).numpy()
    np.testing.assert_allclose(got64, expected, rtol=1e-9)
    np.testing.assert_allclose(distance(a, b).numpy(), expected, rtol=1e-4)
    assert (distance(a, a) == 0).all() and (expected > 0).all()


def test_the_filtered_mean_equals_a_restatement_of_the_authors_filter():
    values = np.random.default_rng(0).lognormal(size=1001)
    ordered = np.sort(values)
    lo, hi = ordered[int(np.floor(0.01 * 1000))], ordered[int(np.ceil(0.99 * 1000))]
    expected = np.mean([v for v in values if lo <= v <= hi])
    assert filtered_mean(values) == pytest.approx(expected, rel=1e-12)


@pytest.fixture(scope="module")
def tiny_style() -> torch.nn.Module:
    arch = zoo.get_registry().architectures["stylegan-lite"]
    torch.manual_seed(0)
    return zoo.build("stylegan-lite", **arch.tiny_config).generator.eval()


def test_ppl_is_reproducible_and_zero_for_a_generator_that_ignores_w(tiny_style):
    a = path_distances(tiny_style, 24, seed=3, batch_size=10)
    b = path_distances(tiny_style, 24, seed=3, batch_size=7)
    np.testing.assert_allclose(a, b, rtol=2e-2)  # float32 rendering: batch shapes change the rounding of Δ
    assert a.shape == (24,) and (a > 0).all()
    flat = copy.deepcopy(tiny_style)
    for module in flat.modules():  # every style input off: the image no longer depends on w
        if hasattr(module, "affine"):
            torch.nn.init.zeros_(module.affine.weight)
    assert np.abs(path_distances(flat, 8, seed=3)).max() < 1e-3 * a.mean()


def test_ppl_metric_reports_its_protocol(tiny_style):
    metric = PerceptualPathLength()
    metric.measure(tiny_style, 20, seed=0, batch_size=10)
    value = metric.compute()["ppl"]
    assert value == pytest.approx(filtered_mean(path_distances(tiny_style, 20, seed=0, batch_size=10)), rel=1e-6)
    assert "eps=0.0001" in metric.protocol()["ppl"] and "20 pairs" in metric.protocol()["ppl"]


def test_ppl_refuses_a_generator_without_w_space():
    dcgan = zoo.build("dcgan", **zoo.get_registry().architectures["dcgan"].tiny_config).generator.eval()
    with pytest.raises(ZooError, match="style generators"):
        PerceptualPathLength().measure(dcgan, 4)
