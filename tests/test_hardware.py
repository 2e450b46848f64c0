"""bf16 autocast only where it is a speed-up: native bf16 units, or when the user asks for it."""

from __future__ import annotations

import pytest
import torch
from zoo.errors import ZooError
from zoo.hardware import bf16_choice, cpu_bf16_flags, native_bf16
from zoo.registry import get_registry
from zoo.training.settings import resolve_settings


@pytest.mark.parametrize(
    ("capabilities", "native"),
    [
        ({"avx2": True, "amx_bf16": False, "avx512_bf16": False}, False),  # AMD EPYC / older Xeon: emulated
        ({"avx2": True, "avx512_bf16": True}, True),
        ({"amx_bf16": True, "avx512_bf16": True}, True),
        ({}, False),
    ],
)
def test_native_bf16_follows_the_cpu_features(monkeypatch, capabilities, native):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    assert native_bf16("cpu") is native
    chosen, why = bf16_choice(None, "cpu")
    assert chosen is native
    assert ("--set bf16=true" in why) is not native  # the way back to bf16 is named where auto turned it off


def test_an_explicit_choice_wins_over_the_hardware(monkeypatch):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {})
    assert bf16_choice(True, "cpu")[0] is True
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"amx_bf16": True})
    assert bf16_choice(False, "cpu")[0] is False
    assert cpu_bf16_flags() == ("amx_bf16",)


def test_a_cpu_that_cannot_report_its_features_gets_float32(monkeypatch):
    def broken() -> dict:
        raise RuntimeError("cpuinfo unavailable")

    monkeypatch.setattr(torch.cpu, "get_capabilities", broken)
    assert native_bf16("cpu") is False


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("auto", None), ("true", True), ("false", False)])
def test_training_bf16_setting_is_auto_by_default(raw, expected):
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {} if raw is None else {"bf16": raw})
    assert settings.bf16 is expected


def test_training_bf16_setting_refuses_other_values():
    with pytest.raises(ZooError, match="bf16 takes true, false or auto"):
        resolve_settings(get_registry().architecture("dcgan"), None, {"bf16": "fast"})
