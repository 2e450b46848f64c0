"""The fast inference path: chosen from the hardware, within its stated tolerance of plain float32, said aloud."""

from __future__ import annotations

import pytest
import torch
import zoo
from zoo.api import bundled_path
from zoo.inference import BF16_TOLERANCE, FP32_TOLERANCE
from zoo.registry import get_registry

GENERATORS = sorted(
    name
    for name, spec in get_registry().checkpoints.items()
    if bundled_path(spec) is not None and get_registry().architecture(spec.family).task != "image-to-image"
)
STYLE_NETWORKS = sorted(
    name
    for name, spec in get_registry().checkpoints.items()
    if bundled_path(spec) is not None and get_registry().architecture(spec.family).task == "image-to-image"
)


def _labels(handle, n: int):
    return list(range(n)) if handle.generator.num_classes else None


@pytest.fixture
def no_native_bf16(monkeypatch):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True})


@pytest.fixture
def native_bf16(monkeypatch):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"amx_bf16": True, "avx512_bf16": True})


def test_the_bundled_generators_are_listed():
    assert {"dcgan-cifar10-32", "stylegan-lite-emoji64", "sagan-cifar10-32"} <= set(GENERATORS)
    assert "style-transfer-candy" in STYLE_NETWORKS


@pytest.mark.parametrize("name", GENERATORS)
def test_the_float32_fast_path_stays_within_its_tolerance(no_native_bf16, name):
    fast, exact = zoo.load(name), zoo.load(name, dtype="float32")
    plan = fast.inference_plan
    assert not plan.bf16 and plan.channels_last and "no native bf16" in plan.reason
    assert exact.inference_plan.reason.startswith("exact") and not exact.inference_plan.channels_last
    labels = _labels(fast, 8)
    a = fast.sample(8, seed=3, labels=labels, output="tensor")
    b = exact.sample(8, seed=3, labels=labels, output="tensor")
    assert (a - b).abs().max() <= FP32_TOLERANCE


@pytest.mark.parametrize("name", STYLE_NETWORKS)
def test_style_networks_take_the_fast_path_within_tolerance(no_native_bf16, name):
    image = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    fast, exact = zoo.load(name), zoo.load(name, dtype="float32")
    assert not fast.inference_plan.channels_last, "instance norm runs slower channels-last"
    assert (fast.transform(image) - exact.transform(image)).abs().max() * 2 <= FP32_TOLERANCE


@pytest.mark.parametrize(
    ("name", "uses_bf16"),
    [("dcgan-cifar10-32", True), ("stylegan-lite-celeba64", True), ("stylegan-lite-emoji64", False)],
)
def test_native_bf16_is_used_only_where_the_model_stays_within_tolerance(native_bf16, name, uses_bf16):
    fast, exact = zoo.load(name), zoo.load(name, dtype="float32")
    plan = fast.inference_plan
    assert plan.bf16 is uses_bf16, plan.describe()
    assert ("probe batch within" if uses_bf16 else "> 0.1 on a probe batch") in plan.reason
    a = fast.sample(16, seed=0, output="tensor")
    b = exact.sample(16, seed=0, output="tensor")
    assert (a - b).abs().max() <= BF16_TOLERANCE


def test_style_generators_keep_mapping_styles_and_rgb_sum_in_float32():
    """Under bf16 autocast, w and the RGB skip sum of StyleGAN-lite are float32 (the sensitive parts)."""
    generator = zoo.load("stylegan-lite-celeba64").generator
    z = generator.sample_latents(2, torch.Generator().manual_seed(0))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert generator.mapping(z).dtype == torch.float32
        image = generator.synthesis(generator.broadcast(generator.mapping(z)))
    assert image.dtype == torch.float32


def test_cli_says_how_it_runs(zoo_cli, tmp_path):
    result = zoo_cli("sample", "dcgan", "-n", "2", "-o", "g.png", "--verbose", "--quiet")
    assert result.returncode == 0 and "inference: float32, channels-last" in result.stderr
    exact = zoo_cli("sample", "dcgan", "-n", "2", "-o", "h.png", "--verbose", "--quiet", "--dtype", "float32")
    assert "inference: float32 (exact: plain eager, as asked)" in exact.stderr
