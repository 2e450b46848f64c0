"""``zoo eval --split``: the reference images are the split asked for, or the whole data when it has no splits.

An .npz with ``x_train`` (random) and ``x_test`` (zeros) tells the splits apart: evaluating against the
wrong one gives the other one's score.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from zoo.data import load_images
from zoo.errors import ZooError

EVAL = ["--metrics", "kid", "-n", "16", "--extractor", "zoo-cifar10-resnet", "--no-progress", "--json"]


def _random(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)


def _jpeg_split(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """JPEG bytes of ``images`` back to back and their offsets, as cifar10_jpeg.npz stores a split."""
    blobs = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=95)
        blobs.append(np.frombuffer(buffer.getvalue(), dtype=np.uint8))
    return np.concatenate(blobs), np.cumsum([0, *map(len, blobs)])


@pytest.fixture
def split_npz(tmp_path: Path) -> Path:
    path = tmp_path / "split.npz"
    np.savez(path, x_train=_random(24), y_train=np.zeros(24, np.int64), x_test=np.zeros((20, 32, 32, 3), np.uint8))
    return path


@pytest.fixture
def whole_npz(tmp_path: Path) -> Path:
    path = tmp_path / "whole.npz"
    np.savez(path, images=_random(24))
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo-home"))
    return tmp_path / "zoo-home"


def test_load_images_reads_the_split_asked_for(split_npz: Path, tmp_path: Path) -> None:
    from zoo.data import load_split

    test, labels, used = load_split(split_npz, "test")
    assert used == "test" and len(test) == 20 and not test.any() and labels is None
    train, labels, used = load_split(split_npz, "train")
    assert used == "train" and len(train) == 24 and train.any() and len(labels) == 24
    jpeg = tmp_path / "jpeg.npz"
    train_blob, train_offsets = _jpeg_split(_random(3))
    test_blob, test_offsets = _jpeg_split(np.full((2, 32, 32, 3), 255, np.uint8))
    np.savez(jpeg, train_jpeg=train_blob, train_offsets=train_offsets, test_jpeg=test_blob, test_offsets=test_offsets,
             test_labels=np.array([3, 4]))  # fmt: skip
    images, labels = load_images(jpeg, "test")
    assert len(images) == 2 and images.min() > 240 and labels.tolist() == [3, 4]


def test_data_without_splits_is_used_whole_for_train_and_refused_for_test(whole_npz: Path, tmp_path: Path) -> None:
    from zoo.data import data_split, load_split

    assert load_split(whole_npz, "train")[2] == data_split(whole_npz) == "all"
    with pytest.raises(ZooError, match=r"has no test split \(its keys: images\): use --split train"):
        load_images(whole_npz, "test")
    folder = tmp_path / "folder"
    folder.mkdir()
    Image.fromarray(_random(1)[0]).save(folder / "a.png")
    assert data_split(folder) == "all"
    with pytest.raises(ZooError, match="image folder, which has no test split"):
        load_images(folder, "test")


def test_eval_split_test_scores_against_the_test_images(zoo_here, split_npz: Path, private_cache: Path) -> None:
    results = {}
    for split in ("train", "test"):
        code, out, err = zoo_here("eval", "dcgan-cifar10-32", "--data", str(split_npz), *EVAL, "--split", split)
        assert code == 0, err
        results[split] = json.loads(out)
        assert results[split]["protocol"]["reference"]["split"] == split
    assert results["test"]["results"]["kid"] != pytest.approx(results["train"]["results"]["kid"], rel=1e-3)

    # a cache entry written before splits were read holds the train images' features under 'test': not used
    import torch
    from safetensors.torch import load_file, save_file
    from zoo.weights import read_metadata

    test_entry = next((private_cache / "stats").glob("*-test-*.safetensors"))
    train_entry = Path(str(test_entry).replace("-test-", "-train-"))
    meta = json.loads(read_metadata(train_entry)["zoo.reference"])
    meta.pop("split_read")
    meta["split"] = "test"
    tensors: dict[str, torch.Tensor] = load_file(train_entry)
    save_file(tensors, str(test_entry), metadata={"zoo.reference": json.dumps(meta)})
    code, out, err = zoo_here("eval", "dcgan-cifar10-32", "--data", str(split_npz), *EVAL, "--split", "test")
    assert code == 0, err
    assert json.loads(out)["results"]["kid"] == pytest.approx(results["test"]["results"]["kid"], rel=1e-6)


def test_eval_of_data_without_splits_says_all_images(zoo_here, whole_npz: Path) -> None:
    code, out, err = zoo_here("eval", "dcgan-cifar10-32", "--data", str(whole_npz), *EVAL[:-1])
    assert code == 0, err
    protocol_line = next(line for line in out.splitlines() if line.startswith("protocol:"))
    assert "vs random 16 of 24 images of whole.npz (seed 0)" in protocol_line and "train" not in protocol_line
    code, out, err = zoo_here("eval", "dcgan-cifar10-32", "--data", str(whole_npz), *EVAL, "--split", "test")
    assert code == 2 and "has no test split (its keys: images)" in err and len(err.strip().splitlines()) == 1
