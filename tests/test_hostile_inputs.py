"""Classes of hostile input an outside table found (#31), each refused in one line at its one boundary.

FIFO outputs (every writer), empty entries in comma lists (one reader), non-finite floats (one click
type), non-finite pixels (one image converter), labels and handle arguments of the wrong kind, and
warnings attributed to the caller's line instead of zoo's internals.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from PIL import Image
from zoo.errors import ZooError

PHOTO = Path(__file__).parent / "data" / "chelsea-96.png"


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "out.png"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["sample", "dcgan", "-n", "1", "-o", "{fifo}"],
        ["interpolate", "dcgan", "--seeds", "1,2", "--steps", "2", "-o", "{fifo_gif}"],
        ["stylize", str(PHOTO), "--style", "candy", "--size", "32", "-o", "{fifo}"],
        ["translate", "style-transfer-candy", str(PHOTO), "-o", "{fifo}"],
    ],
)
def test_a_fifo_as_output_is_refused_and_left_alone(zoo_here, tmp_path, args):
    targets = {"{fifo}": tmp_path / "out.png", "{fifo_gif}": tmp_path / "walk.gif"}
    for path in targets.values():
        os.mkfifo(path)
    code, _, err = zoo_here(*[str(targets.get(a, a)) for a in args])
    assert code == 2 and "is a FIFO (named pipe), not a regular file" in err and "Traceback" not in err
    assert all(path.is_fifo() for path in targets.values())


def test_the_atomic_writer_never_replaces_a_fifo(fifo):
    from zoo.files import write_atomically

    with pytest.raises(ZooError, match="is a FIFO"):
        write_atomically(fifo, lambda tmp: tmp.write_text("x"))
    assert fifo.is_fifo() and not list(fifo.parent.glob(".*.tmp"))


@pytest.mark.parametrize(
    "args",
    [
        ["interpolate", "dcgan", "--seeds", "1,,2", "--steps", "2", "-o", "w.gif"],
        ["interpolate", "dcgan", "--seeds", "1,2,", "--steps", "2", "-o", "w.gif"],
        ["style-mix", "stylegan-lite-emoji64", "--rows", "1,,2", "--cols", "3", "--layers", "0-1", "-o", "m.png"],
        ["eval", "dcgan", "--data", "d.npz", "--metrics", ",kid", "-n", "4"],
        ["sample", "sagan", "--class", "cat,,dog", "-n", "2", "-o", "s.png"],
    ],
)
def test_an_empty_entry_in_a_comma_list_is_refused(zoo_here, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "d.npz", images=np.zeros((8, 32, 32, 3), np.uint8))
    code, _, err = zoo_here(*args)
    assert code == 2 and "has an empty entry" in err, err
    assert {p.name for p in tmp_path.iterdir()} == {"d.npz"}


def test_an_empty_diffaug_policy_is_refused():
    from zoo.registry import get_registry
    from zoo.training.settings import resolve_settings

    with pytest.raises(ZooError, match="diffaug 'color,,translation' has an empty entry"):
        resolve_settings(get_registry().architecture("dcgan"), None, {"diffaug": "color,,translation"}).validate()


def test_non_finite_pixels_are_refused_by_the_one_converter(tmp_path):
    from zoo.image_io import decode_image, open_image

    path = tmp_path / "nan.tif"
    Image.fromarray(np.full((8, 8), np.nan, np.float32), mode="F").save(path)
    with pytest.raises(ZooError, match="not finite numbers"):
        open_image(path)
    with pytest.raises(ZooError, match="not finite numbers"):
        decode_image(path.read_bytes(), str(path))
    path16 = tmp_path / "deep.png"
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(path16)
    assert decode_image(path16.read_bytes(), "16-bit").max() == 255  # scaled, not clipped by PIL's convert


def test_an_empty_package_name_is_refused(zoo_here):
    code, out, err = zoo_here("install", "--dry-run", "")
    assert code == 2 and "empty package name" in err and "pip" not in out


@pytest.mark.parametrize("labels", [[1.5], [True], torch.tensor([0.5]), torch.tensor([[0]]), [None], {"a": 1}])
def test_labels_of_the_wrong_kind_are_one_line(labels):
    model = zoo.load("sagan")
    with pytest.raises(ZooError, match="label"):
        model.sample(1, labels=labels)


def test_labels_as_names_numpy_or_a_single_value_work():
    model = zoo.load("sagan")
    one = model.sample(2, labels="dog")
    assert torch.equal(one, model.sample(2, labels=["dog", "dog"]))
    assert torch.equal(model.sample(2, labels=np.array([3, 5])), model.sample(2, labels=[3, 5]))


@pytest.mark.parametrize("args", [(1, 2, 0), ("12", [2], [0]), ([1], None, [0])])
def test_style_mix_arguments_are_checked(args):
    with pytest.raises(ZooError, match="ModelHandle.style_mix"):
        zoo.load("stylegan-lite-emoji64").style_mix(*args)


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (None, "takes a PIL image, an image path or a tensor"),
        (np.zeros((8, 8, 3), np.uint8), "PIL.Image.fromarray"),
        (torch.zeros(1, 3, 0, 0), r"expected images \(N, 3, H, W\)"),
        (torch.full((1, 3, 8, 8), float("nan")), "finite float images"),
        (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "finite float images"),
    ],
)
def test_translate_arguments_are_checked(image, fragment):
    with pytest.raises(ZooError, match=fragment):
        zoo.load("style-transfer-candy").translate(image)


def test_stylize_takes_a_path_object_for_the_style(tmp_path):
    from zoo_style_transfer import stylize

    result = stylize(PHOTO, Path(PHOTO), method="optimize", size=16, progress=False, pretrained_backbone=False)
    assert result.image.size[0] == 16 or result.image.size[1] == 16


def test_a_zoo_warning_points_at_the_callers_line(tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((8, 8, 8, 3), np.uint8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        zoo.train("dcgan", tmp_path / "d.npz", tmp_path / "run", steps=1, settings={"batch_size": 4, "model.width": 4})
    resizing = [w for w in caught if "resizing" in str(w.message)]
    assert resizing and all(w.filename == __file__ for w in resizing), [(w.filename, w.lineno) for w in caught]


def test_list_models_refuses_an_unknown_family_like_zoo_list():
    with pytest.raises(ZooError, match="unknown family 'dcgn'.*dcgan"):
        zoo.list_models("*", family="dcgn")


def test_a_wrong_number_of_betas_says_what_it_takes(zoo_here, tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((8, 32, 32, 3), np.uint8))
    for value in ("[0.5]", "[0.5, 0.9, 0.1]"):
        code, _, err = zoo_here("train", "dcgan", "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / "r"),
                                "--set", f"betas_g={value}")  # fmt: skip
        assert code == 2 and "betas_g must be a pair of numbers such as [0.5, 0.999]" in err, err
