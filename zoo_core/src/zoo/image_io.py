"""Reading user images for image-to-image models: any common file becomes an upright RGB picture.

Photos arrive as grayscale, palette, RGBA, 16-bit PNG or EXIF-rotated JPEG; every one of them is
turned into 8-bit RGB the way a person viewing it would expect (transparency over white, 16-bit
scaled, not clipped). Oversized images are shrunk to a cap and the caller is told so.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from zoo.errors import ZooError
from zoo.files import require_regular_file

if TYPE_CHECKING:
    import torch
    from PIL import Image

ImageSource = Union[str, os.PathLike, "Image.Image"]
MAX_PIXELS = 200_000_000
"""Refuse to decode images above this many pixels (a decompression bomb or a mistake)."""
MAX_SIDE = 4096
"""Images are shrunk so that their longest side is at most this, unless a smaller size is asked."""


@dataclass
class LoadedImage:
    """An RGB picture plus what happened to it on the way in (for messages to the user)."""

    image: Image.Image
    original_size: tuple[int, int]
    notes: list[str]


HIGH_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")
"""16/32-bit integer and float greyscale: scaled to 0..255, never clipped by PIL's convert."""


ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def has_alpha(image: Image.Image) -> bool:
    """Whether the picture carries transparency (an alpha channel or a palette's transparent colour)."""
    return image.mode in ALPHA_MODES or (image.mode == "P" and "transparency" in image.info)


def _to_rgb(image: Image.Image, name: str = "the image", keep_alpha: bool = False) -> Image.Image:
    """8-bit RGB: alpha composited on white (kept, as RGBA, with ``keep_alpha``), 16/32-bit grey scaled to 0..255."""
    from PIL import Image

    if image.mode in HIGH_DEPTH_MODES:
        array = np.asarray(image, dtype=np.float64)
        if not np.isfinite(array).all():
            raise ZooError(f"{name} has pixels that are not finite numbers (NaN or inf): give a regular image")
        top = 65535.0 if image.mode.startswith("I") and array.max(initial=0) > 255 else 255.0
        if image.mode == "F":
            top = max(float(array.max(initial=1.0)), 1.0)
        gray = np.clip(np.round(array / top * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, mode="L").convert("RGB")
    if has_alpha(image):
        rgba = image.convert("RGBA")
        if keep_alpha:
            return rgba
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def open_image(
    source: ImageSource, *, max_side: int | None = None, what: str = "image", keep_alpha: bool = False
) -> LoadedImage:
    """Open ``source`` (a path or PIL image) as upright RGB (RGBA if it has alpha and ``keep_alpha``), maybe shrunk.

    Shrunk (with a note) to ``max_side`` or MAX_SIDE; transparency composited on white is noted too.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    cap = min(max_side or MAX_SIDE, MAX_SIDE)
    if cap < 1:
        raise ZooError(f"the image size must be at least 1 pixel, got {max_side}")
    notes: list[str] = []
    if isinstance(source, Image.Image):
        image, name = source, f"the {what}"
    else:
        path = Path(source)
        name = f"{what} {str(path)!r}"
        if path.is_dir():
            raise ZooError(f"{name} is a directory: give an image file")
        require_regular_file(path, what)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(path)
        except UnidentifiedImageError:
            raise ZooError(f"{name} is not an image PIL can read: give a JPEG, PNG, WebP, BMP or TIFF file") from None
        except Image.DecompressionBombError:
            raise ZooError(f"{name} is too large to decode safely: shrink it below {MAX_PIXELS:,} pixels") from None
        except OSError as exc:
            raise ZooError(f"{name} cannot be read ({exc}): check the file") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ZooError(
            f"{name} is {width}x{height} ({width * height:,} pixels), over the limit of {MAX_PIXELS:,}: shrink it first"
        )
    try:
        orientation = image.getexif().get(0x0112, 1)
        if image.format == "JPEG" and max(width, height) > 2 * cap:
            image.draft("RGB", (cap, cap))  # decode JPEG at a reduced scale: much faster for huge photos
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise ZooError(f"{name} is damaged or truncated ({exc}): check the file") from None
    original = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    if orientation not in (0, 1):
        notes.append("rotated upright as its EXIF orientation says")
    if has_alpha(upright) and not keep_alpha and upright.convert("RGBA").getextrema()[3][0] < 255:
        notes.append("its transparency was composited on white")
    rgb = _to_rgb(upright, name, keep_alpha)
    if max(rgb.size) > cap:
        scale = cap / max(rgb.size)
        size = (max(1, round(rgb.size[0] * scale)), max(1, round(rgb.size[1] * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
        notes.append(f"{original[0]}x{original[1]} is over the size cap of {cap} px; shrunk to {size[0]}x{size[1]}")
    return LoadedImage(rgb, original, notes)


def resize_longest(image: Image.Image, side: int) -> Image.Image:
    """``image`` scaled so that its longest side is ``side`` pixels (aspect kept)."""
    from PIL import Image

    scale = side / max(image.size)
    size = (max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale)))
    return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)


PIL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
"""Channel counts a picture converts to and from: greyscale and colour, each with an alpha (or mask) channel."""


def carries_mask(channels: object) -> bool:
    """Whether a model's input of ``channels`` is a picture plus one alpha or mask channel (grey + 1, RGB + 1)."""
    return channels in (2, 4)


def to_tensor(image: Image.Image, channels: int = 3) -> torch.Tensor:
    """(1, C, H, W) float32 in [0, 1]: greyscale (1), RGB (3), or either with its alpha or mask channel (2, 4).

    A picture without alpha is refused for 2 or 4 channels rather than given an opaque one the model
    would read as "no mask"; one with alpha for 1 or 3 is composited on white, as every picture the zoo reads.
    """
    import torch

    if channels not in PIL_MODES:
        raise ZooError(f"pictures convert to 1 to 4 channels (grey, grey + alpha, RGB, RGB + alpha), not {channels}")
    if carries_mask(channels):
        if not has_alpha(image):
            raise ZooError(
                f"the model reads {channels} channels (a picture plus a mask or alpha channel), and this image has "
                f"no alpha: give a PNG with an alpha channel, or an .npz of (N, H, W, {channels}) uint8 arrays"
            )
    elif has_alpha(image):
        image = _to_rgb(image)
    array = np.asarray(image.convert(PIL_MODES[channels]), dtype=np.uint8).reshape(image.size[1], image.size[0], -1)
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def to_pil(images: torch.Tensor) -> Image.Image:
    """A picture (RGB, or greyscale for one channel) from (1, C, H, W) or (C, H, W) floats in [0, 1] (clamped)."""
    from PIL import Image

    tensor = images.detach().float().cpu()
    if tensor.dim() == 4:
        if tensor.shape[0] != 1:
            raise ZooError(f"to_pil takes one image, got a batch of {tensor.shape[0]}")
        tensor = tensor[0]
    if tensor.shape[0] not in PIL_MODES:
        raise ZooError(f"to_pil takes 1 to 4 channels, got {tensor.shape[0]}")
    array = tensor.clamp(0, 1).mul(255).round().to(dtype=__import__("torch").uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array, mode=PIL_MODES[tensor.shape[0]])


def decode_image(blob: bytes, where: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """One encoded image -> (H, W, 3) uint8 RGB (transparency over white), or a one-line ZooError naming ``where``.

    The one decoder of training and evaluation images, whatever their source (npz members, folders, tar
    and Parquet shards, Hub datasets): the pixel count is read from the header and checked against
    ``MAX_PIXELS`` (or the caller's lower ``max_pixels``: a public demo's uploads) before anything is decoded,
    so a decompression bomb costs nothing.
    """
    import io

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(blob)) as image:
                width, height = image.size
                if width * height > min(max_pixels, MAX_PIXELS) or width < 1 or height < 1:
                    size = f"{width}x{height}"
                    limit = min(max_pixels, MAX_PIXELS)
                    raise ZooError(f"{where}: the image is {size}, outside 1 to {limit:,} pixels: remove or resize it")
                return np.asarray(_to_rgb(image, where))  # alpha composited on white, as open_image does
    except ZooError:
        raise
    except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError, DecompressionBombError...
        text = " ".join(str(exc).split())
        raise ZooError(
            f"{where}: the image could not be decoded ({type(exc).__name__}: {text}): remove or fix it"
        ) from None
