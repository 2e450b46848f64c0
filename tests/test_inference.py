"""The fast inference path: chosen from the hardware and each checkpoint's recorded bf16 accuracy, said aloud.

Hardware-dependent: every test here fakes the CPU it means (``zoo_fake_cpu``), both ways.
"""

from __future__ import annotations

import pytest
import torch
import zoo
from zoo.bf16_accuracy import SAMPLES, Bf16Accuracy
from zoo.inference import BF16_TOLERANCE, FP32_TOLERANCE, bf16_errors
from zoo.registry import get_registry
from zoo.specs import bundled_path

pytestmark = pytest.mark.hardware

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
def no_native_bf16(zoo_fake_cpu):
    zoo_fake_cpu({"avx2": True})


@pytest.fixture
def native_bf16(zoo_fake_cpu):
    zoo_fake_cpu({"amx_bf16": True, "avx512_bf16": True})


def _record(name: str) -> Bf16Accuracy:
    return Bf16Accuracy.from_mapping(get_registry().checkpoints[name].bf16_accuracy, name)


def test_the_bundled_generators_are_listed():
    assert {"dcgan-cifar10-32", "stylegan-lite-emoji64", "sagan-cifar10-32"} <= set(GENERATORS)
    assert "style-transfer-candy" in STYLE_NETWORKS


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.slow
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
    fast, exact = zoo.load(name), zoo.load(name, dtype="float32")
    in_channels = fast.translator()[2][0]  # greyscale -> colour takes grey
    image = torch.rand(1, in_channels, 96, 96, generator=torch.Generator().manual_seed(0))
    assert not fast.inference_plan.channels_last, "instance norm runs slower channels-last"
    assert (fast.transform(image) - exact.transform(image)).abs().max() * 2 <= FP32_TOLERANCE


def test_every_bundled_checkpoint_records_its_bf16_accuracy():
    for name in GENERATORS + STYLE_NETWORKS:
        record = _record(name)
        assert record.samples >= SAMPLES and record.protocol, name


@pytest.mark.parametrize("name", GENERATORS + STYLE_NETWORKS)
def test_native_bf16_is_used_only_where_the_card_records_it_within_tolerance(native_bf16, name):
    plan = zoo.load(name).inference_plan
    record = _record(name)
    assert plan.bf16 is (record.p999 <= BF16_TOLERANCE), plan.describe()
    assert "its card records 99.9 % of" in plan.reason, plan.reason


@pytest.mark.slow
@pytest.mark.parametrize("name", GENERATORS + STYLE_NETWORKS)
def test_the_recorded_bf16_accuracy_holds_on_fresh_samples(name):
    """The card's record describes the distribution, not its own sample: fresh images (another seed) keep to it.

    The record's worst is the worst of 1,024 draws, not a bound: tails are heavy (sagan-fashion-mnist-32's
    worst over four sets of 1,024 latents: 0.118, 0.208, 0.106, 0.148), so one fresh image may pass it.
    """
    generator = zoo.load(name, dtype="float32").generator
    samples = 32 if name in STYLE_NETWORKS else 64  # bf16 is emulated (slow) on CPUs without it
    worst, _ = bf16_errors(generator, samples=samples, seed=1, batch_size=32)
    record = _record(name)
    beyond = int((worst > record.max * 1.25).sum())
    assert beyond <= 1, (sorted(worst.tolist())[-3:], record.max)
    if record.within_tolerance:  # bf16 by default: at most 1 fresh image beyond the tolerance (0.1 % expected)
        assert int((worst > BF16_TOLERANCE).sum()) <= 1, worst.max()


def test_weights_without_a_record_keep_float32_on_native_bf16(native_bf16):
    untrained = zoo.build("dcgan", with_discriminator=False)
    plan = untrained.inference_plan
    assert not plan.bf16 and "no bf16 accuracy record" in plan.reason


def test_a_forced_answer_is_named_in_the_reason(monkeypatch):
    monkeypatch.setenv("ZOO_NATIVE_BF16", "0")
    assert "ZOO_NATIVE_BF16=0" in zoo.load("dcgan").inference_plan.reason
    monkeypatch.setenv("ZOO_NATIVE_BF16", "1")
    plan = zoo.load("dcgan").inference_plan
    assert plan.bf16 and "ZOO_NATIVE_BF16=1" in plan.reason


@pytest.mark.parametrize("field", [{"p999": float("nan")}, {"samples": 0}, {"max": -1}, {"p999": 0.5, "max": 0.1}])
def test_a_bad_bf16_record_is_refused_when_the_card_is_read(field):
    from zoo.errors import ZooError
    from zoo.specs import CheckpointSpec

    spec = dict(get_registry().checkpoints["dcgan-cifar10-32"].__dict__)
    spec["bf16_accuracy"] = {**spec["bf16_accuracy"], **field}
    with pytest.raises(ZooError, match="bf16_accuracy"):
        CheckpointSpec(**spec)


def test_style_generators_keep_mapping_styles_and_rgb_sum_in_float32():
    """Under bf16 autocast, w and the RGB skip sum of StyleGAN-lite are float32 (the sensitive parts)."""
    generator = zoo.load("stylegan-lite-celeba64").generator
    z = generator.sample_latents(2, torch.Generator().manual_seed(0))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert generator.mapping(z).dtype == torch.float32
        image = generator.synthesis(generator.broadcast(generator.mapping(z)))
    assert image.dtype == torch.float32


@pytest.mark.slow
def test_cli_says_how_it_runs(zoo_cli, tmp_path):
    float32 = {"ZOO_NATIVE_BF16": "0"}
    result = zoo_cli("sample", "dcgan", "-n", "2", "-o", "g.png", "--verbose", "--quiet", env=float32)
    assert result.returncode == 0 and "inference: float32, channels-last (ZOO_NATIVE_BF16=0" in result.stderr
    bf16 = zoo_cli("sample", "dcgan", "-n", "2", "-o", "g.png", "--verbose", "--quiet", env={"ZOO_NATIVE_BF16": "1"})
    assert bf16.returncode == 0 and "inference: bf16 autocast over float32 weights, channels-last" in bf16.stderr
    assert "its card records 99.9 % of 1024 images within" in bf16.stderr
    exact = zoo_cli("sample", "dcgan", "-n", "2", "-o", "h.png", "--verbose", "--quiet", "--dtype", "float32")
    assert "inference: float32 (exact: plain eager, as asked)" in exact.stderr
