"""Safetensors weights: metadata, strict loading with named problems, corruption, atomic writes."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo.errors import ZooError
from zoo.files import atomic_path
from zoo.weights import (
    apply_state,
    count_parameters,
    load_tensors,
    read_config,
    read_header,
    read_metadata,
    save_cast,
    save_weights,
    sha256_file,
)


def _net() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))


def test_round_trip_keeps_tensors_and_config(tmp_path):
    net = _net()
    path = tmp_path / "w.safetensors"
    digest = save_weights(path, net.state_dict(), family="toy", config={"width": 3})
    assert digest == sha256_file(path)
    assert read_config(path) == ("toy", {"width": 3})
    assert count_parameters(path) == 4 * 3 + 3 + 3 + 3
    other = _net()
    apply_state(other, load_tensors(path), "w")
    for key, value in net.state_dict().items():
        torch.testing.assert_close(other.state_dict()[key], value)


def test_save_cast_casts_floats_keeps_the_rest_and_takes_the_given_config(tmp_path):
    source, target = tmp_path / "run.safetensors", tmp_path / "release.safetensors"
    tensors = dict(_net().state_dict())  # BatchNorm's num_batches_tracked is an int64 that must stay one
    save_weights(source, tensors, family="toy", config={"width": 3}, metadata={"zoo.step": "1200"})
    digest = save_cast(source, target, dtype=torch.float16, family="toy", config={"width": 3, "float32_layers": []})
    assert digest == sha256_file(target)
    cast = load_tensors(target)
    assert cast["0.weight"].dtype == torch.float16 and cast["1.num_batches_tracked"].dtype == torch.int64
    torch.testing.assert_close(cast["0.weight"].float(), tensors["0.weight"], atol=1e-3, rtol=1e-3)
    assert read_config(target) == ("toy", {"width": 3, "float32_layers": []})
    assert read_metadata(target)["zoo.step"] == "1200"
    save_cast(source, target, dtype=None, family="toy", config={"width": 3})
    assert load_tensors(target)["0.weight"].dtype == torch.float32


def test_apply_state_names_every_problem():
    tensors = dict(_net().state_dict())
    tensors["0.weight"] = torch.zeros(2, 2)
    tensors["1.running_mean"] = torch.zeros(3, dtype=torch.int64)
    del tensors["0.bias"]
    tensors["2.weight"] = torch.zeros(1)
    with pytest.raises(ZooError) as info:
        apply_state(_net(), tensors, "bad.safetensors")
    message = str(info.value)
    assert "missing 0.bias" in message and "unexpected 2.weight" in message
    assert "0.weight has shape (2, 2), the architecture needs (3, 4)" in message
    assert "1.running_mean has dtype torch.int64" in message


def test_half_precision_weights_load_into_float_model(tmp_path):
    net = _net()
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()}
    save_weights(tmp_path / "h.safetensors", half, family="toy", config={})
    apply_state(_net(), load_tensors(tmp_path / "h.safetensors"), "h")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "huge_header"])
def test_corrupted_files_are_refused_with_advice(tmp_path, damage):
    path = tmp_path / "w.safetensors"
    save_weights(path, _net().state_dict(), family="toy", config={})
    data = path.read_bytes()
    damaged = {
        "truncate": data[:-10],
        "garbage": b"\x00" * len(data),
        "empty": b"",
        "huge_header": (2**40).to_bytes(8, "little") + data[8:],
    }[damage]
    path.write_bytes(damaged)
    with pytest.raises(ZooError, match="not a valid safetensors file"):
        load_tensors(path)
    with pytest.raises(ZooError):
        read_header(path)


def test_failed_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.bin"]
