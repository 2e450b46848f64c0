"""zoo eval's extractor precision: auto is bf16 only on native-bf16 hardware, with the agreement measured."""

from __future__ import annotations

import pytest
import zoo
from conftest import write_npz


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> str:
    return str(write_npz(tmp_path_factory.mktemp("p") / "d.npz", 12, 32))


@pytest.mark.parametrize(
    ("capabilities", "precision", "why"),
    [
        ({"amx_bf16": True}, "bfloat16", "natively; bf16 features vs float32 on 6 images: max relative L2 difference"),
        ({"avx2": True}, "float32", "no native bf16 on this device"),
    ],
)
def test_auto_precision_follows_the_hardware_and_says_why(zoo_fake_cpu, zoo_home, faces, capabilities, precision, why):
    zoo_fake_cpu(capabilities)
    result = zoo.evaluate("dcgan-cifar10-32", faces, ["kid"], n=12, batch_size=6,
                          extractor="squeezenet1_1-imagenet", progress=False)  # fmt: skip
    assert result.protocol["precision"] == precision
    assert why in result.protocol["precision_choice"]
    if precision == "bfloat16":
        difference = float(result.protocol["precision_choice"].rsplit(" ", 1)[1])
        assert 0 < difference < 0.05, "bf16 features stay within a few percent of float32 ones"


def test_an_explicit_precision_is_kept_without_a_note(zoo_home, faces):
    result = zoo.evaluate("dcgan-cifar10-32", faces, ["kid"], n=12, extractor="squeezenet1_1-imagenet",
                          precision="float32", progress=False)  # fmt: skip
    assert result.protocol["precision"] == "float32" and "precision_choice" not in result.protocol


def test_a_failing_sampler_thread_raises_in_the_caller():
    from zoo.metrics.evaluate import _prefetched

    def items():
        yield 1
        raise RuntimeError("sampler broke")

    seen = []
    with pytest.raises(RuntimeError, match="sampler broke"):
        for item in _prefetched(items()):
            seen.append(item)
    assert seen == [1]
    assert list(_prefetched(iter(range(5)), depth=1)) == [0, 1, 2, 3, 4]
