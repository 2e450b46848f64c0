"""Sample dumps for external metric tools: the same images as sample(), RGB, balanced labels, atomic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zoo
from zoo.sample_dump import as_rgb, write_npz_stream


def test_npz_dump_holds_exactly_the_images_sample_returns(zoo_cli, tmp_path):
    result = zoo_cli("sample", "dcgan", "-n", "130", "--batch-size", "48", "-o", "s.npz", "--quiet")
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "s.npz") as dump:
        assert dump.files == ["images"]
        images = dump["images"]
    expected = zoo.load("dcgan").sample(130, seed=0).numpy()
    assert images.shape == (130, 32, 32, 3) and images.dtype == np.uint8
    # batches, streaming and the thread count change at most float rounding: a pixel by one level, rarely
    difference = np.abs(images.astype(int) - expected.astype(int))
    assert difference.max() <= 1 and (difference > 0).mean() < 1e-3


def test_conditional_grayscale_dump_is_rgb_with_balanced_labels(zoo_cli, tmp_path):
    result = zoo_cli("sample", "sagan-fashion-mnist-32", "-n", "25", "-o", "f.npz", "--quiet", "--json")
    assert result.returncode == 0, result.stderr
    assert "repeated to RGB" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["n"] == 25 and len(summary["classes"]) == 10
    with np.load(tmp_path / "f.npz") as dump:
        images, labels, names = dump["images"], dump["labels"], dump["class_names"]
    assert images.shape == (25, 32, 32, 3)
    assert np.array_equal(images[..., 0], images[..., 2])  # grey repeated, not recoloured
    assert np.bincount(labels, minlength=10).tolist() == [3] * 5 + [2] * 5
    assert names.tolist()[7] == "Sneaker"
    handle = zoo.load("sagan-fashion-mnist-32")
    expected = handle.sample(25, seed=0, labels=labels.tolist()).numpy()
    assert np.array_equal(images, as_rgb(expected))


def test_several_classes_in_one_option_and_class_names_in_file_names(zoo_cli, tmp_path):
    result = zoo_cli("sample", "sagan-fashion-mnist-32", "--class", "Bag,T-shirt/top", "-n", "3", "--out-dir", "d")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == ["000000-00000-Bag.png", "000000-00001-T-shirt-top.png", "000000-00002-Bag.png"]


def test_an_interrupted_dump_leaves_nothing_behind(tmp_path):
    def batches():
        yield np.zeros((4, 8, 8, 3), np.uint8)
        raise KeyboardInterrupt

    target = tmp_path / "s.npz"
    target.write_bytes(b"an earlier dump")
    with pytest.raises(KeyboardInterrupt):
        write_npz_stream(target, batches(), (8, 8, 8, 3))
    assert target.read_bytes() == b"an earlier dump"  # the old file is kept whole
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]  # no temporary file left


def test_a_short_stream_is_refused_not_written(tmp_path):
    with pytest.raises(ValueError, match="3 images were generated for a dump of 5"):
        write_npz_stream(tmp_path / "s.npz", [np.zeros((3, 8, 8, 3), np.uint8)], (5, 8, 8, 3))
    assert not (tmp_path / "s.npz").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["dcgan", "-n", "20000", "-o", "g.png"], ("for a PNG grid", "-o FILE.npz")),
        (["dcgan", "-n", "0", "-o", "g.npz"], ("-n must be between 1 and",)),
        (["dcgan", "-o", "g.jpg"], ("must end in .png or .npz",)),
        (["dcgan", "--seed", "-1", "-o", "g.png"], ("--seed", "-1 is not in the range 0<=x<=9223372036854775807")),
        (["dcgan", "--seed", str(2**70), "-o", "g.png"], ("--seed", "is not in the range 0<=x<=9223372036854775807")),
        (["sagan-fashion-mnist-32", "--class", "Bag,,Coat", "-o", "g.png"], ("has an empty entry",)),
        (["sagan-fashion-mnist-32", "--class", "Sneakers", "-o", "g.npz"], ("unknown class 'Sneakers'", "Sneaker")),
    ],
)
def test_bad_sample_requests_fail_cleanly_and_write_nothing(zoo_cli, clean_error, tmp_path, args, fragments):
    clean_error(zoo_cli("sample", *args), *fragments)
    assert not [p for p in Path(tmp_path).iterdir() if p.suffix in (".png", ".npz")]


def test_per_class_grids_name_every_row(zoo_cli, tmp_path):
    from PIL import Image

    assert zoo_cli("sample", "sagan-fashion-mnist-32", "--per-class", "3", "-o", "g.png").returncode == 0
    grid = np.asarray(Image.open(tmp_path / "g.png").convert("L"))
    plain_width = 3 * 34 + 2
    assert grid.shape == (10 * 34 + 2, grid.shape[1]) and grid.shape[1] > plain_width + 20  # a label column
    labels = grid[:, : grid.shape[1] - plain_width]
    for row in range(10):  # dark text in the middle of every row's label cell, white between rows
        cell = labels[2 + row * 34 : 2 + row * 34 + 32]
        assert (cell < 128).any(), f"row {row} has no label"


def test_scale_enlarges_png_output_only(zoo_cli, tmp_path):
    from PIL import Image

    assert zoo_cli("sample", "dcgan", "-n", "4", "--scale", "3", "-o", "g.png").returncode == 0
    assert Image.open(tmp_path / "g.png").size == (2 + 2 * (96 + 2), 2 + 2 * (96 + 2))
    assert zoo_cli("sample", "dcgan", "-n", "2", "--scale", "2", "--out-dir", "d").returncode == 0
    assert {Image.open(p).size for p in (tmp_path / "d").iterdir()} == {(64, 64)}
