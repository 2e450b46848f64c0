"""benchmarks/add_card_metrics_group.py writes a command that measures the same protocol on any CPU."""

from __future__ import annotations

import pytest
from script_modules import load_script

BASE = "zoo eval dcgan-cifar10-32 --data cifar10_jpeg.npz -n 10000 --extractor squeezenet1_1-imagenet"


def _pinned_precision():
    return load_script("benchmarks/add_card_metrics_group.py").pinned_precision


@pytest.mark.parametrize(
    ("command", "protocol", "expected"),
    [
        (BASE, {"precision": "float32"}, f"{BASE} --precision float32"),  # auto would take bf16 on an AMX CPU
        (BASE, {"precision": "bfloat16"}, f"{BASE} --precision bfloat16"),
        (f"{BASE} --precision float32", {"precision": "float32"}, f"{BASE} --precision float32"),
        ("zoo eval stylegan-lite-emoji64 --data emoji64.npz --metrics ppl", {}, None),  # PPL: no extractor precision
    ],
)
def test_the_cards_command_pins_the_precision_it_measured(command, protocol, expected):
    assert _pinned_precision()(command, protocol) == (expected or command)
