"""Bad training data fails early with one clear line: labels, damaged .npz, torchvision roots, class folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from zoo.data import class_names, load_images
from zoo.errors import ZooError
from zoo.training import data as training_data
from zoo.training.data import load_training_data
from zoo.training.trainer import CHECKPOINT


def _npz(path: Path, n: int = 8, size: int = 32, **arrays: np.ndarray) -> Path:
    """An .npz of ``n`` random ``size``-pixel images plus ``arrays`` (labels, classes...)."""
    images = np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    np.savez(path, **({"images": images} | arrays))
    return path


def _png(path: Path, value: int, size: int = 8) -> None:
    """A ``size``-pixel PNG filled with ``value``, its folders created."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size, size, 3), value, dtype=np.uint8)).save(path)


@pytest.fixture
def class_folders(tmp_path: Path) -> Path:
    """ROOT/cat (2 images) and ROOT/dog (3 images), in the torchvision ImageFolder layout."""
    root = tmp_path / "pets"
    for i in range(2):
        _png(root / "cat" / f"{i}.png", 10 + i)
    for i in range(3):
        _png(root / "dog" / f"{i}.png", 100 + i)
    return root


def _one_line_error(call, *fragments: str) -> str:
    """Run ``call``; it must raise a one-line ZooError containing every fragment."""
    with pytest.raises(ZooError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# ---- 1. labels ---------------------------------------------------------------------------------


def test_keras_style_n_by_1_labels_are_flattened(tmp_path):
    labels = np.array([[3], [1], [4], [1], [5], [9], [2], [6]], dtype=np.uint8)
    path = tmp_path / "keras.npz"
    np.savez(path, x_train=np.zeros((8, 32, 32, 3), np.uint8), y_train=labels)
    data = load_training_data(str(path), 32, conditional=True, num_classes=10)
    assert data.labels.dtype == torch.int64 and data.labels.shape == (8,)
    assert data.labels.tolist() == [3, 1, 4, 1, 5, 9, 2, 6]
    assert load_images(path)[1].shape == (8,)  # eval and the ResNet trainer get flat labels too


def test_a_label_count_unlike_the_image_count_is_refused(tmp_path):
    path = _npz(tmp_path / "d.npz", labels=np.arange(7) % 3)
    _one_line_error(
        lambda: load_training_data(str(path), 32, conditional=True, num_classes=3),
        "7 labels for 8 images",
        "one label per image",
    )


def test_float_and_one_hot_labels_are_refused(tmp_path):
    floats = _npz(tmp_path / "f.npz", labels=np.zeros(8, np.float32))
    _one_line_error(lambda: load_training_data(str(floats), 32, True), "labels are float32, not integers", "int64")
    one_hot = _npz(tmp_path / "o.npz", labels=np.eye(10, dtype=np.int64)[np.arange(8)])
    _one_line_error(lambda: load_training_data(str(one_hot), 32, True), "shape (8, 10)", "argmax(1)")


def test_labels_beyond_the_models_classes_name_the_range_and_the_value(tmp_path):
    labels = np.array([1, 2, 57, 3, 99, 0, 11, 4])  # CIFAR-100 labels into a 10-class model
    classes = np.array([f"c{i}" for i in range(100)])
    path = _npz(tmp_path / "cifar100.npz", labels=labels, classes=classes)
    message = _one_line_error(
        lambda: load_training_data(str(path), 32, conditional=True, num_classes=10),
        "label 57 (class 'c57') of image 2",
        "3 such labels",
        "0..9 (the model has 10 classes)",
        "--set model.num_classes=K",
    )
    assert message.startswith(str(path))


def test_negative_labels_are_refused_even_without_a_class_count(tmp_path):
    path = _npz(tmp_path / "neg.npz", labels=np.array([0, 1, -1, 2, 0, 1, 2, 0]))
    _one_line_error(lambda: load_training_data(str(path), 32, conditional=True), "label -1 of image 2", "0 or more")
    _one_line_error(lambda: load_training_data(str(path), 32, True, num_classes=3), "label -1", "0..2")


def test_an_unconditional_model_ignores_bad_labels(tmp_path):
    path = _npz(tmp_path / "d.npz", labels=np.full(5, -7, np.float64))
    data = load_training_data(str(path), 32, conditional=False)
    assert data.labels is None and len(data) == 8


def test_a_labelless_npz_for_a_conditional_model_says_how_to_add_labels(tmp_path):
    path = _npz(tmp_path / "d.npz")
    _one_line_error(lambda: load_training_data(str(path), 32, True), "class-conditional", "labels=...")


def test_cli_train_rejects_labels_beyond_the_models_classes(zoo_cli, clean_error, tmp_path):
    """Needs the trainer to pass its class count: load_training_data(..., num_classes=self.num_classes or None)."""
    _npz(tmp_path / "cifar100.npz", labels=np.array([1, 2, 57, 3, 99, 0, 11, 4]))
    result = zoo_cli("train", "sagan", "--data", "cifar100.npz", "--out", "run", "--steps", "1", "--quiet")
    clean_error(result, "label 57 of image 2", "0..9")
    assert not (tmp_path / "run" / CHECKPOINT).exists()


# ---- 2. empty or damaged .npz ------------------------------------------------------------------


def test_an_empty_npz_is_one_line_not_an_eoferror(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    _one_line_error(lambda: load_images(path), f"{path} is not a readable .npz (the file is empty)", "numpy.savez")
    assert class_names(path) == ()


def test_a_truncated_npz_is_one_line(tmp_path):
    whole = _npz(tmp_path / "whole.npz", labels=np.arange(8) % 2).read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(whole[: len(whole) // 2])
    _one_line_error(lambda: load_images(path), "is not a readable .npz (truncated or damaged", "numpy.savez")


def test_a_damaged_npz_member_is_one_line(tmp_path):
    """The central directory is intact, so numpy opens the file; the error only comes on reading the images."""
    raw = bytearray(_npz(tmp_path / "whole.npz").read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(raw))
    _one_line_error(lambda: load_images(path), "is not a readable .npz (truncated or damaged, BadZipFile: Bad CRC-32")


def test_a_text_file_named_npz_is_one_line(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not an archive")
    _one_line_error(lambda: load_images(path), "is not a readable .npz (it is not a zip archive)", "numpy.savez")


def test_cli_train_on_an_empty_npz_exits_2_not_aborted(zoo_cli, clean_error, tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    result = zoo_cli("train", "dcgan", "--data", "empty.npz", "--out", "run", "--steps", "1", "--quiet")
    line = clean_error(result, "empty.npz is not a readable .npz (the file is empty)", "numpy.savez")
    assert "Aborted" not in line


# ---- 3. torchvision:DATASET:ROOT ---------------------------------------------------------------


def test_torchvision_missing_root_is_one_line(tmp_path):
    pytest.importorskip("torchvision")
    spec = f"torchvision:ImageFolder:{tmp_path / 'nowhere'}"
    _one_line_error(lambda: load_training_data(spec, 8, False), "FileNotFoundError", "put the dataset's files there")


def test_torchvision_dataset_without_its_files_is_one_line(tmp_path):
    pytest.importorskip("torchvision")
    spec = f"torchvision:CIFAR10:{tmp_path}"
    _one_line_error(lambda: load_training_data(spec, 32, False), "could not open CIFAR10", "RuntimeError")


def test_torchvision_undecodable_image_is_one_line(tmp_path, class_folders):
    pytest.importorskip("torchvision")
    (class_folders / "dog" / "broken.png").write_bytes(b"not a png")
    spec = f"torchvision:ImageFolder:{class_folders}"
    _one_line_error(lambda: load_training_data(spec, 8, False), "reading ImageFolder", "UnidentifiedImageError")


def test_cli_train_torchvision_missing_root_exits_2(zoo_cli, clean_error, tmp_path):
    pytest.importorskip("torchvision")
    result = zoo_cli("train", "dcgan", "--data", "torchvision:ImageFolder:nowhere", "--out", "run", "--quiet")
    clean_error(result, "torchvision could not open ImageFolder in 'nowhere'", "FileNotFoundError")


# ---- 4. resizing in chunks ---------------------------------------------------------------------


def _direct_resize(images: np.ndarray, resolution: int) -> torch.Tensor:
    """The whole-dataset float32 resize the chunked one must reproduce exactly."""
    data = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    mode = "area" if data.shape[-1] > resolution else "bilinear"
    resized = F.interpolate(data, size=(resolution, resolution), mode=mode)
    return resized.round().clamp(0, 255).to(torch.uint8)


@pytest.mark.parametrize(("size", "resolution"), [(20, 8), (12, 32), (16, 16)])
def test_chunked_resize_equals_a_direct_resize(tmp_path, monkeypatch, size, resolution):
    images = np.random.default_rng(1).integers(0, 256, (7, size, size, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", images=images)
    calls: list[int] = []
    interpolate = F.interpolate

    def counting(x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        calls.append(len(x))
        return interpolate(x, *args, **kwargs)

    monkeypatch.setattr(training_data, "RESIZE_CHUNK", 3)
    monkeypatch.setattr(training_data.F, "interpolate", counting)
    if size == resolution:
        data = load_training_data(str(tmp_path / "d.npz"), resolution, conditional=False)
        assert calls == [] and torch.equal(data.images, torch.from_numpy(images).permute(0, 3, 1, 2))
        return
    with pytest.warns(UserWarning, match="resizing"):
        data = load_training_data(str(tmp_path / "d.npz"), resolution, conditional=False)
    assert calls == [3, 3, 1]
    assert data.images.dtype == torch.uint8 and data.images.is_contiguous()
    assert torch.equal(data.images, _direct_resize(images, resolution))


def test_chunked_resize_of_grayscale_images(tmp_path, monkeypatch):
    gray = np.random.default_rng(2).integers(0, 256, (5, 10, 10), dtype=np.uint8)
    np.savez(tmp_path / "g.npz", images=gray)
    monkeypatch.setattr(training_data, "RESIZE_CHUNK", 2)
    with pytest.warns(UserWarning, match="resizing"):
        data = load_training_data(str(tmp_path / "g.npz"), 4, conditional=False)
    assert torch.equal(data.images, _direct_resize(np.repeat(gray[..., None], 3, axis=-1), 4))


# ---- 5. class sub-folders ----------------------------------------------------------------------


def test_class_folders_give_labels_and_class_names(class_folders):
    data = load_training_data(str(class_folders), 8, conditional=True, num_classes=2)
    assert data.labels.tolist() == [0, 0, 1, 1, 1]
    assert data.classes == ("cat", "dog")  # the field an .npz's `classes` fills
    assert data.images[:, 0, 0, 0].tolist() == [10, 11, 100, 101, 102]


def test_class_folders_match_torchvision_imagefolder(class_folders):
    torchvision = pytest.importorskip("torchvision")
    reference = torchvision.datasets.ImageFolder(str(class_folders))
    ours = load_training_data(str(class_folders), 8, conditional=True)
    theirs = load_training_data(f"torchvision:ImageFolder:{class_folders}", 8, conditional=True)
    assert ours.classes == tuple(reference.classes) == theirs.classes
    assert ours.labels.tolist() == reference.targets == theirs.labels.tolist()
    assert torch.equal(ours.images, theirs.images)


def test_an_unconditional_model_reads_every_image_of_a_folder(class_folders, tmp_path):
    data = load_training_data(str(class_folders), 8, conditional=False)
    assert len(data) == 5 and data.labels is None and data.classes == ()
    for i in range(4):
        _png(tmp_path / "flat" / f"{i}.png", i)
    assert len(load_training_data(str(tmp_path / "flat"), 8, conditional=False)) == 4


def test_a_flat_folder_for_a_conditional_model_says_to_use_class_folders(tmp_path):
    for i in range(4):
        _png(tmp_path / "flat" / f"{i}.png", i)
    _one_line_error(
        lambda: load_training_data(str(tmp_path / "flat"), 8, conditional=True),
        "flat folder",
        "/CLASSNAME/*.png",
        "an .npz with `images` and `labels`",
    )


def test_images_beside_the_class_folders_are_refused(class_folders):
    _png(class_folders / "stray.png", 0)
    _one_line_error(lambda: load_training_data(str(class_folders), 8, True), "1 image(s) outside", "stray.png")


def test_an_empty_class_folder_is_refused(class_folders):
    (class_folders / "bird").mkdir()
    _one_line_error(lambda: load_training_data(str(class_folders), 8, True), "class folder 'bird' holds no image")


def test_more_class_folders_than_the_model_has_classes(class_folders):
    _png(class_folders / "eel" / "0.png", 200)
    _one_line_error(
        lambda: load_training_data(str(class_folders), 8, True, num_classes=2),
        "label 2 (class 'eel') of image 5",
        "0..1 (the model has 2 classes)",
    )


def test_cli_train_conditional_on_a_flat_folder_exits_2(zoo_cli, clean_error, tmp_path):
    for i in range(4):
        _png(tmp_path / "flat" / f"{i}.png", i, size=32)
    result = zoo_cli("train", "sagan", "--data", "flat", "--out", "run", "--steps", "1", "--quiet")
    clean_error(result, "flat folder", "CLASSNAME", "`labels`")
