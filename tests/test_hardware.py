"""bf16 autocast only where it is a speed-up: native bf16 units, or when the user asks for it."""

from __future__ import annotations

import pytest
import torch
from zoo.errors import ZooError
from zoo.hardware import NATIVE_BF16_ENV, bf16_choice, cpu_bf16_flags, native_bf16
from zoo.registry import get_registry
from zoo.training.settings import resolve_settings

pytestmark = pytest.mark.hardware


@pytest.mark.parametrize(
    ("capabilities", "native"),
    [
        ({"avx2": True, "amx_bf16": False, "avx512_bf16": False}, False),  # AMD EPYC / older Xeon: emulated
        ({"avx2": True, "avx512_bf16": True}, True),
        ({"amx_bf16": True, "avx512_bf16": True}, True),
        ({}, False),
    ],
)
def test_native_bf16_follows_the_cpu_features(zoo_fake_cpu, capabilities, native):
    zoo_fake_cpu(capabilities)
    assert native_bf16("cpu") is native
    chosen, why = bf16_choice(None, "cpu")
    assert chosen is native
    assert ("--set bf16=true" in why) is not native  # the way back to bf16 is named where auto turned it off


def test_an_explicit_choice_wins_over_the_hardware(zoo_fake_cpu):
    zoo_fake_cpu({})
    assert bf16_choice(True, "cpu")[0] is True
    zoo_fake_cpu({"amx_bf16": True})
    assert bf16_choice(False, "cpu")[0] is False
    assert cpu_bf16_flags() == ("amx_bf16",)


def test_a_cpu_that_cannot_report_its_features_gets_float32(monkeypatch):
    def broken() -> dict:
        raise RuntimeError("cpuinfo unavailable")

    monkeypatch.delenv(NATIVE_BF16_ENV, raising=False)
    monkeypatch.setattr(torch.cpu, "get_capabilities", broken)
    assert native_bf16("cpu") is False


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("auto", None), ("true", True), ("false", False)])
def test_training_bf16_setting_is_auto_by_default(raw, expected):
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {} if raw is None else {"bf16": raw})
    assert settings.bf16 is expected


def test_training_bf16_setting_refuses_other_values():
    with pytest.raises(ZooError, match="bf16 must be true, false or auto"):
        resolve_settings(get_registry().architecture("dcgan"), None, {"bf16": "fast"})


def test_the_test_session_pins_the_float32_path():
    """zoo's pytest plugin sets ZOO_NATIVE_BF16=0 unless the caller chose: figures do not depend on the CPU."""
    import os

    assert os.environ.get(NATIVE_BF16_ENV) in ("0", "1", "auto")


@pytest.mark.parametrize(
    ("value", "capabilities", "native"),
    [
        ("0", {"amx_bf16": True}, False),  # an AMX CPU told to take the float32 path
        ("1", {"avx2": True}, True),  # an AVX2 CPU told to take the bf16 path (emulated: for testing)
        ("auto", {"amx_bf16": True}, True),
        ("auto", {"avx2": True}, False),
        ("", {"avx512_bf16": True}, True),
    ],
)
def test_zoo_native_bf16_overrides_what_the_cpu_reports(monkeypatch, value, capabilities, native):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    monkeypatch.setenv(NATIVE_BF16_ENV, value)
    assert native_bf16("cpu") is native
    chosen, why = bf16_choice(None, "cpu")
    assert chosen is native
    if value in ("0", "1"):
        assert NATIVE_BF16_ENV in why, why  # the reason names the override, so --verbose explains it


def test_a_bad_zoo_native_bf16_is_one_clear_error(monkeypatch):
    monkeypatch.setenv(NATIVE_BF16_ENV, "fast")
    with pytest.raises(ZooError, match="ZOO_NATIVE_BF16='fast' is not understood: set it to 0, 1 or auto"):
        native_bf16("cpu")
