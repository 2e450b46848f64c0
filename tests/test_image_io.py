"""zoo.image_io: every common kind of photo becomes upright 8-bit RGB; bad files give one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from zoo.errors import ZooError
from zoo.image_io import MAX_SIDE, open_image, resize_longest, to_pil, to_tensor


def test_grayscale_palette_and_rgb_become_rgb(tmp_path):
    Image.new("L", (6, 4), 100).save(tmp_path / "gray.png")
    Image.new("P", (6, 4), 3).save(tmp_path / "palette.gif")
    for name in ("gray.png", "palette.gif"):
        loaded = open_image(tmp_path / name)
        assert loaded.image.mode == "RGB" and loaded.image.size == (6, 4)
    assert open_image(tmp_path / "gray.png").image.getpixel((0, 0)) == (100, 100, 100)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = Image.new("RGBA", (4, 4), (255, 0, 0, 255))
    rgba.putpixel((0, 0), (0, 0, 0, 0))  # fully transparent black reads as white
    rgba.save(tmp_path / "a.png")
    image = open_image(tmp_path / "a.png").image
    assert image.getpixel((0, 0)) == (255, 255, 255) and image.getpixel((1, 1)) == (255, 0, 0)


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    array = np.array([[0, 32896, 65535]], dtype=np.uint16)
    Image.fromarray(array).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    image = open_image(tmp_path / "deep.png").image
    assert [image.getpixel((x, 0))[0] for x in range(3)] == [0, 128, 255]


def test_exif_rotated_jpeg_is_turned_upright(tmp_path):
    picture = Image.new("RGB", (8, 4), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    picture.save(tmp_path / "phone.jpg", exif=exif)
    loaded = open_image(tmp_path / "phone.jpg")
    assert loaded.image.size == (4, 8) and loaded.original_size == (4, 8)
    assert any("EXIF" in note for note in loaded.notes)


def test_large_images_are_shrunk_to_the_cap_with_a_note(tmp_path):
    Image.new("RGB", (300, 150), (10, 20, 30)).save(tmp_path / "big.jpg")
    loaded = open_image(tmp_path / "big.jpg", max_side=100)
    assert loaded.image.size == (100, 50) and loaded.original_size == (300, 150)
    assert loaded.notes == ["300x150 is over the size cap of 100 px; shrunk to 100x50"]
    assert open_image(tmp_path / "big.jpg", max_side=10 * MAX_SIDE).image.size == (300, 150)


def test_too_many_pixels_are_refused(tmp_path, monkeypatch):
    import zoo.image_io

    Image.new("RGB", (64, 64)).save(tmp_path / "huge.png")
    monkeypatch.setattr(zoo.image_io, "MAX_PIXELS", 1000)
    with pytest.raises(ZooError, match=r"is 64x64 \(4,096 pixels\), over the limit of 1,000: shrink it first"):
        open_image(tmp_path / "huge.png")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "does not exist: check the path"),
        (lambda p: p.write_text("not a picture"), "is not an image PIL can read"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(_png_bytes()[:60]), "damaged or truncated"),
    ],
    ids=["missing", "text", "directory", "truncated"],
)
def test_bad_files_give_one_line_errors(tmp_path, make, message):
    path = tmp_path / "photo.png"
    make(path)
    with pytest.raises(ZooError, match=message) as info:
        open_image(path, what="content image")
    assert str(info.value).startswith(f"content image '{path}'") and "\n" not in str(info.value)


def _png_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def test_tensor_round_trip_and_resize():
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (5, 7, 3), dtype=np.uint8))
    tensor = to_tensor(image)
    assert tensor.shape == (1, 3, 5, 7) and 0 <= tensor.min() and tensor.max() <= 1
    assert np.array_equal(np.asarray(to_pil(tensor)), np.asarray(image))
    assert resize_longest(image, 14).size == (14, 10)


def test_every_decoder_puts_transparency_over_white_and_open_image_says_so(tmp_path):
    """Training data (decode_image) and user images (open_image) read a transparent PNG the same way."""
    from zoo.image_io import decode_image

    rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # transparent black: what PIL's plain convert('RGB') keeps
    rgba[0, 0] = (200, 10, 10, 255)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "t.png")
    decoded = decode_image((tmp_path / "t.png").read_bytes(), "t.png")
    loaded = open_image(tmp_path / "t.png")
    assert decoded.shape == (4, 4, 3) and (decoded[1:] == 255).all() and tuple(decoded[0, 0]) == (200, 10, 10)
    assert (np.asarray(loaded.image) == decoded).all()
    assert any("composited on white" in note for note in loaded.notes)
    assert not open_image(tmp_path / "t.png", keep_alpha=True).notes
    assert not open_image(Image.new("RGBA", (2, 2), (1, 2, 3, 255))).notes, "opaque alpha loses nothing"


@pytest.mark.parametrize("channels", [2, 4])
def test_alpha_is_the_extra_channel_of_two_and_four_channel_tensors(channels):
    picture = Image.fromarray(np.full((3, 5, 4), 200, dtype=np.uint8), mode="RGBA")
    tensor = to_tensor(picture, channels)
    assert tensor.shape == (1, channels, 3, 5) and to_pil(tensor).mode == ("LA" if channels == 2 else "RGBA")
    with pytest.raises(ZooError, match="has no alpha"):
        to_tensor(picture.convert("RGB"), channels)
    assert to_tensor(picture, 3).shape == (1, 3, 3, 5)
