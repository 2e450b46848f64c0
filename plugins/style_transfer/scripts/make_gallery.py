"""The style-transfer pictures of the cards and READMEs: every bundled style on three photos.

Writes ``cards/style-transfer-<style>.png`` (one style, the three photos side by side) and
``cards/style-transfer-gallery.png`` (the photos on top, one row per style, labelled). The photos
are scikit-image's ``chelsea`` and ``coffee`` (CC0) and ``astronaut`` (NASA, public domain),
centre-cropped to 256×256 and stylised at that size, the size the networks were trained at.

``--gatys`` instead writes ``cards/gatys-squeezenet.png``: Gatys optimisation with the bundled
SqueezeNet features (what ``zoo stylize PHOTO --style IMAGE --method optimize`` does offline),
each row the style image and the stylised photo.

    python plugins/style_transfer/scripts/make_gallery.py [--photos ../shared/data/style_images/content] [--gatys]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PHOTOS = ("skimage_chelsea.jpg", "skimage_astronaut.jpg", "skimage_coffee.jpg")
GATYS = (
    ("skimage_chelsea.jpg", "candy.jpg"),
    ("skimage_astronaut.jpg", "udnie.jpg"),
    ("sklearn_china.jpg", "skimage_gravel.jpg"),
)
TILE, GALLERY_TILE, LABEL = 256, 192, 110


def square(path: Path, size: int):  # type: ignore[no-untyped-def]
    """The photo's centre square, resized to ``size``."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)


def row(images: list, label: str | None = None, tile: int = TILE):  # type: ignore[no-untyped-def]
    """Images side by side at ``tile`` px, with a text label on the left if given."""
    from PIL import Image, ImageDraw

    offset = LABEL if label is not None else 0
    canvas = Image.new("RGB", (offset + tile * len(images), tile), "white")
    for i, image in enumerate(images):
        canvas.paste(
            image.resize((tile, tile), Image.LANCZOS) if image.width != tile else image, (offset + i * tile, 0)
        )
    if label:
        ImageDraw.Draw(canvas).text((8, tile // 2 - 6), label, fill="black")
    return canvas


def main() -> None:
    import zoo
    from PIL import Image
    from zoo.files import atomic_path
    from zoo_style_transfer.api import published_styles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "data" / "style_images" / "content")
    parser.add_argument("--out", type=Path, default=REPO / "cards")
    parser.add_argument("--gatys", action="store_true", help="the Gatys figure instead of the fast-network gallery")
    args = parser.parse_args()
    if args.gatys:
        gatys_figure(args.photos, args.photos.parent / "style", args.out / "gatys-squeezenet.png")
        return
    photos = [square(args.photos / name, TILE) for name in PHOTOS]
    rows = [row(photos, "photo", GALLERY_TILE)]
    for style, checkpoint in sorted(published_styles().items()):
        model = zoo.load(checkpoint)
        stylised = [model(photo) for photo in photos]
        strip = row(stylised)
        with atomic_path(args.out / f"{checkpoint}.png") as tmp:
            strip.save(tmp, format="PNG", optimize=True)
        rows.append(row(stylised, style, GALLERY_TILE))
        print(f"wrote {args.out / f'{checkpoint}.png'}")
    gallery = Image.new("RGB", (rows[0].width, GALLERY_TILE * len(rows)), "white")
    for i, picture in enumerate(rows):
        gallery.paste(picture, (0, i * GALLERY_TILE))
    with atomic_path(args.out / "style-transfer-gallery.png") as tmp:
        gallery.save(tmp, format="PNG", optimize=True)
    print(f"wrote {args.out / 'style-transfer-gallery.png'}")


def gatys_figure(photos: Path, styles: Path, out: Path) -> None:
    """Rows of (style image, photo stylised by Gatys optimisation over the bundled SqueezeNet features)."""
    from PIL import Image
    from zoo.files import atomic_path
    from zoo_style_transfer.api import stylize

    rows = []
    for photo, style in GATYS:
        content = square(photos / photo, TILE)
        with tempfile.TemporaryDirectory() as folder:
            content.save(Path(folder) / "content.png")
            result = stylize(
                Path(folder) / "content.png", str(styles / style), backbone="squeezenet1_1", progress=False
            )
        result = result.image
        rows.append(row([square(styles / style, TILE), content, result]))
        print(f"{photo} in the style of {style}: stylised")
    figure = Image.new("RGB", (rows[0].width, TILE * len(rows)), "white")
    for i, picture in enumerate(rows):
        figure.paste(picture, (0, i * TILE))
    with atomic_path(out) as tmp:
        figure.save(tmp, format="PNG", optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
