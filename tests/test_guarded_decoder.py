"""One guarded decoder and one shape check for every source of training images (#31): the in-memory and the
streamed readers refuse the same inputs the same way, in one line, before anything large is allocated."""

from __future__ import annotations

import io
import os
import tarfile

import numpy as np
import pytest
from PIL import Image
from zoo.data import dataset_fingerprint
from zoo.errors import ZooError
from zoo.image_io import MAX_PIXELS, decode_image
from zoo.sources import open_source


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_pixel_count_is_checked_from_the_header_before_decoding():
    assert decode_image(_png(4, 3), "ok").shape == (3, 4, 3)
    side = int(MAX_PIXELS**0.5) + 1  # a 1-bit PNG of this size is a few kB: a decompression bomb
    with pytest.raises(ZooError, match="bomb.png: the image (is|could not be decoded).*pixels"):
        decode_image(_png(side, side, "1"), "bomb.png")
    with pytest.raises(ZooError, match="junk: the image could not be decoded"):
        decode_image(b"not an image", "junk")


@pytest.mark.parametrize("loading", ["memory", "stream"])
def test_a_bomb_in_an_image_folder_is_refused_on_both_paths(tmp_path, loading):
    from zoo.data import load_images

    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (8, 8)).save(folder / "a.png")
    side = int(MAX_PIXELS**0.5) + 1
    (folder / "b.png").write_bytes(_png(side, side, "1"))
    with pytest.raises(ZooError, match="b.png"):
        if loading == "memory":
            load_images(str(folder))
        else:
            source = open_source(str(folder))
            [source.read(i) for i in range(len(source))]


@pytest.mark.parametrize("shape", [(64, 0, 0, 3), (0, 8, 8, 3), (4, 8, 0), (4, 8, 8, 2)])
@pytest.mark.parametrize("loading", ["memory", "stream"])
def test_impossible_image_shapes_are_refused_on_both_paths(tmp_path, shape, loading):
    from zoo.data import load_images

    path = tmp_path / "d.npz"
    np.savez(path, images=np.zeros(shape, np.uint8))
    with pytest.raises(ZooError, match="expected N×H×W"):
        load_images(str(path)) if loading == "memory" else open_source(str(path))


def test_a_webdataset_label_too_large_for_int64_is_one_line(tmp_path):
    shard = tmp_path / "shard-0.tar"
    with tarfile.open(shard, "w") as tar:
        for name, data in (("0.png", _png(8, 8)), ("0.cls", str(10**30).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ZooError, match="0.cls holds 1000000000000000000000000000000, not a class index"):
        open_source(str(tmp_path))


def test_a_file_name_that_is_not_utf8_is_fingerprinted(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.new("RGB", (8, 8)).save(folder / "a.png")
    name = os.fsdecode(b"\xff\xfe.png")
    try:
        Image.new("RGB", (8, 8)).save(folder / name)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    assert len(dataset_fingerprint(str(folder))) == 64
