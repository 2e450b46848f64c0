"""Fuzzing what comes from outside (weights headers, cards, npz files): every input loads or is a ZooError.

Hypothesis (MacIver et al. 2019) generates the inputs; a crash is any other exception. The seeds are
derandomised so CI is repeatable; run with --hypothesis-seed=random locally to explore further.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import zoo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zoo.cards import checkpoint_from_card, split_card
from zoo.data import data_channels, load_split
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.specs import bundled_path
from zoo.weights import read_config, read_header

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _safetensors(header: object, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _real_header() -> tuple[dict, bytes]:
    """The bundled DCGAN's header and data section: a real file to mutate."""
    blob = bundled_path(get_registry().checkpoints["dcgan-fashion-mnist-32"]).read_bytes()
    (length,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + length]), blob[8 + length :]


def _loads_or_zoo_error(path: Path) -> None:
    try:
        read_header(path)
        read_config(path)
        zoo.load(str(path))
    except ZooError as exc:
        assert "\n" not in str(exc), str(exc)


@FUZZ
@given(header=JSON, data=st.binary(max_size=64))
def test_any_header_is_read_or_refused(tmp_path_factory, header, data):
    path = tmp_path_factory.mktemp("w") / "model.safetensors"
    path.write_bytes(_safetensors(header, data))
    _loads_or_zoo_error(path)


ENTRY_MUTATIONS = [
    lambda e: {k: v for k, v in e.items() if k != "data_offsets"},
    lambda e: "a string",
    lambda e: {**e, "shape": [10**12, 10**12]},
    lambda e: {**e, "shape": [-1]},
    lambda e: {**e, "dtype": "F128"},
    lambda e: {**e, "data_offsets": [e["data_offsets"][1], e["data_offsets"][0]]},
    lambda e: {**e, "data_offsets": [0, 10**15]},
    lambda e: {**e, "data_offsets": ["0", "4"]},
]
META_MUTATIONS = [
    lambda m: ["a", "list"],
    lambda m: {**m, "zoo.config": "7"},
    lambda m: {**m, "zoo.config": "[1, 2]"},
    lambda m: {**m, "zoo.config": json.dumps({**json.loads(m["zoo.config"]), "width": 0})},
    lambda m: {**m, "zoo.config": json.dumps({**json.loads(m["zoo.config"]), "width": -4})},
    lambda m: {**m, "zoo.config": json.dumps({**json.loads(m["zoo.config"]), "width": 10**12})},
    lambda m: {**m, "zoo.config": json.dumps({**json.loads(m["zoo.config"]), "z_dim": "big"})},
    lambda m: {**m, "zoo.config": json.dumps({**json.loads(m["zoo.config"]), "colour": 1})},
    lambda m: {**m, "zoo.family": "no-such-family"},
    lambda m: {**m, "zoo.classes": "{}"},
]


@FUZZ
@given(which=st.sampled_from(range(len(ENTRY_MUTATIONS))), index=st.integers(0, 100))
def test_hostile_tensor_entries_are_refused(tmp_path_factory, which, index):
    header, data = _real_header()
    keys = [k for k in header if k != "__metadata__"]
    key = keys[index % len(keys)]
    header[key] = ENTRY_MUTATIONS[which](header[key])
    path = tmp_path_factory.mktemp("w") / "model.safetensors"
    path.write_bytes(_safetensors(header, data))
    with pytest.raises(ZooError):
        zoo.load(str(path))


@pytest.mark.parametrize("mutate", META_MUTATIONS)
def test_hostile_metadata_is_refused_before_building(tmp_path, mutate):
    header, data = _real_header()
    header["__metadata__"] = mutate(header["__metadata__"])
    path = tmp_path / "model.safetensors"
    path.write_bytes(_safetensors(header, data))
    with pytest.raises(ZooError) as caught:
        zoo.load(str(path))
    assert "\n" not in str(caught.value)


@FUZZ
@given(text=st.text(max_size=300), zoo_block=JSON)
def test_any_card_text_is_parsed_or_refused(tmp_path_factory, text, zoo_block):
    folder = tmp_path_factory.mktemp("c")
    for name, content in (
        ("a.md", text),
        ("b.md", f"---\n{text}\n---\n"),
        ("c.md", "---\n" + json.dumps({"zoo": zoo_block}) + "\n---\n"),
    ):
        (folder / name).write_text(content)
        try:
            split_card(content, name)
            checkpoint_from_card(folder / name)
        except ZooError as exc:
            assert "\n" not in str(exc)


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


ARRAYS = st.dictionaries(
    st.sampled_from(["images", "x", "labels", "x_train", "y_train", "train_jpeg", "train_offsets", "other"]),
    st.builds(
        lambda shape, dtype: np.zeros(shape, dtype=dtype),
        st.lists(st.integers(0, 5), max_size=5).map(tuple),
        st.sampled_from([np.uint8, np.float32, np.int64, np.bool_]),
    ),
    max_size=3,
)


@FUZZ
@given(arrays=ARRAYS, cut=st.integers(0, 400), flip=st.integers(0, 400))
def test_any_npz_is_read_or_refused(tmp_path_factory, arrays, cut, flip):
    blob = bytearray(_npz_bytes(arrays))
    variants = [bytes(blob), bytes(blob[: len(blob) - cut])]
    if flip < len(blob):
        blob[flip] ^= 0xFF
        variants.append(bytes(blob))
    folder = tmp_path_factory.mktemp("n")
    for number, content in enumerate(variants):
        path = folder / f"d{number}.npz"
        path.write_bytes(content)
        for read in (lambda p: load_split(p, "train"), data_channels):
            try:
                read(path)
            except ZooError as exc:
                assert "\n" not in str(exc)


def test_an_npz_whose_header_claims_a_huge_array_is_refused_without_allocating(tmp_path):
    header = {"descr": "|u1", "fortran_order": False, "shape": (10**6, 512, 512, 3)}  # 786 GB claimed
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, header)
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("images.npy", member.getvalue() + b"\0" * 64)
    with pytest.raises(ZooError, match="huge.npz"):
        load_split(tmp_path / "huge.npz", "train")
