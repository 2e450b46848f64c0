"""Translation training data: every paired and unpaired format reads to the same arrays; the papers' augmentation."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from zoo.errors import ZooError
from zoo.translation_data import PAIRED, UNPAIRED, augment_pair, load_translation_data

RNG = np.random.default_rng(0)
A = RNG.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
B = RNG.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg_members(name: str, images: np.ndarray) -> dict[str, np.ndarray]:
    """``name_jpeg`` + ``name_offsets`` (lossless PNG bytes here, so the arrays compare exactly)."""
    blobs = [_png(image) for image in images]
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    return {f"{name}_jpeg": np.frombuffer(b"".join(blobs), np.uint8), f"{name}_offsets": offsets}


def _save_folder(folder, images, names):
    folder.mkdir(parents=True)
    for image, name in zip(images, names, strict=True):
        Image.fromarray(image).save(folder / name)


def test_paired_npz_raw_and_encoded_read_the_same(tmp_path):
    np.savez(tmp_path / "raw.npz", A=A, B=B)
    np.savez(tmp_path / "enc.npz", **_jpeg_members("A", A), **_jpeg_members("B", B))
    for name in ("raw.npz", "enc.npz"):
        data = load_translation_data(tmp_path / name)
        assert data.layout == PAIRED and np.array_equal(data.a, A) and np.array_equal(data.b, B)


def test_unpaired_npz_in_cyclegans_layout_reads_each_split(tmp_path):
    members = {**_jpeg_members("trainA", A), **_jpeg_members("trainB", B[:3]), **_jpeg_members("testA", A[:1])}
    np.savez(tmp_path / "h2z.npz", **members, testB=B[:2])
    train = load_translation_data(tmp_path / "h2z.npz")
    assert train.layout == UNPAIRED and train.a.shape == (4, 16, 16, 3) and train.b.shape == (3, 16, 16, 3)
    test = load_translation_data(tmp_path / "h2z.npz", split="test")
    assert np.array_equal(test.a, A[:1]) and np.array_equal(test.b, B[:2])


def test_folders_paired_by_name_unpaired_by_domain_and_side_by_side(tmp_path):
    names = [f"{i}.png" for i in range(4)]
    _save_folder(tmp_path / "pairs" / "A", A, names)
    _save_folder(tmp_path / "pairs" / "B", B, names[::-1][::-1])
    pairs = load_translation_data(tmp_path / "pairs")
    assert pairs.paired and np.array_equal(pairs.a, A) and np.array_equal(pairs.b, B)
    _save_folder(tmp_path / "domains" / "trainA", A, names)
    _save_folder(tmp_path / "domains" / "trainB", B[:2], names[:2])
    domains = load_translation_data(tmp_path / "domains")
    assert domains.layout == UNPAIRED and len(domains.a) == 4 and len(domains.b) == 2
    _save_folder(tmp_path / "facades" / "train", np.concatenate([A, B], axis=2), names)
    side = load_translation_data(tmp_path / "facades")
    assert side.paired and np.array_equal(side.a, A) and np.array_equal(side.b, B)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: np.savez(p / "d.npz", images=A), "holds no translation data"),
        (lambda p: np.savez(p / "d.npz", A=A, B=B[:3]), "differ in length"),
        (lambda p: np.savez(p / "d.npz", A=A, B=B[:, :8]), "differ in size"),
        (lambda p: np.savez(p / "d.npz", A=A.astype(np.float32), B=B), "must be uint8"),
        (lambda p: np.savez(p / "d.npz", A=np.concatenate([A, A[..., :2]], -1), B=B), "expected N×H×W"),
        (lambda p: np.savez(p / "d.npz", A=A, B=B[:, :, :, :2]), "must have 1 \\(grey\\) or 3"),
    ],
)
def test_bad_npz_files_are_one_line(tmp_path, make, fragment):
    make(tmp_path)
    with pytest.raises(ZooError, match=fragment) as caught:
        load_translation_data(tmp_path / "d.npz")
    assert "\n" not in str(caught.value)


def test_bad_folders_are_one_line(tmp_path):
    _save_folder(tmp_path / "x" / "A", A[:2], ["0.png", "1.png"])
    _save_folder(tmp_path / "x" / "B", B[:2], ["0.png", "2.png"])
    with pytest.raises(ZooError, match="same names; 2 have no partner"):
        load_translation_data(tmp_path / "x")
    _save_folder(tmp_path / "odd", [np.zeros((8, 15, 3), np.uint8)], ["0.png"])
    with pytest.raises(ZooError, match="even width"):
        load_translation_data(tmp_path / "odd")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ZooError, match="no translation data"):
        load_translation_data(tmp_path / "empty")


def test_augment_pair_crops_and_flips_both_images_alike_and_is_seeded():
    a = torch.arange(2 * 1 * 8 * 8, dtype=torch.float32).view(2, 1, 8, 8)
    b = a * 10
    first = augment_pair(a, b, torch.Generator().manual_seed(3), load_size=8, crop_size=5)
    again = augment_pair(a, b, torch.Generator().manual_seed(3), load_size=8, crop_size=5)
    assert first[0].shape == (2, 1, 5, 5) and torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert torch.equal(first[1], first[0] * 10)  # the pair got the same crop and flip
    other = augment_pair(a, b, torch.Generator().manual_seed(4), load_size=8, crop_size=5)
    assert not torch.equal(first[0], other[0])
    resized, _ = augment_pair(a, None, torch.Generator().manual_seed(0), load_size=12, crop_size=10, flip=False)
    assert resized.shape == (2, 1, 10, 10)
    with pytest.raises(ZooError, match="crop size 9 must be between 1 and the load size 8"):
        augment_pair(a, b, torch.Generator(), load_size=8, crop_size=9)
