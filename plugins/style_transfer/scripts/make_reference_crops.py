"""The reference crops that hold the bundled classic style networks to what they compute today.

Input: pytorch/examples' ``amber.jpg`` (BSD-3-Clause; 1080×1080) resized to 256×256 (Lanczos) and
stored as PNG, so the test input is exact on every Pillow. Output: for each bundled style, the
centre 128×128 of its fp32 picture of that input, as PNG. The networks were first checked against
pytorch/examples' own published outputs (``benchmarks/check_style_faithfulness.py``); these crops
then catch any later change of the architecture or the port (``tests/test_classic_styles.py``).

    python plugins/style_transfer/scripts/make_reference_crops.py [--amber PATH/TO/amber.jpg]
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "plugins" / "style_transfer" / "tests" / "data"
SIZE, CROP = 256, 128


def centre_crop(image):  # type: ignore[no-untyped-def]
    """The centre CROP×CROP square of a SIZE×SIZE picture."""
    start = (SIZE - CROP) // 2
    return image.crop((start, start, start + CROP, start + CROP))


def main() -> None:
    import zoo
    from PIL import Image
    from zoo_style_transfer.api import published_styles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = REPO.parent / "shared" / "data" / "style_images" / "reference" / "amber.jpg"
    parser.add_argument("--amber", type=Path, default=default)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    photo = Image.open(args.amber).convert("RGB").resize((SIZE, SIZE), Image.LANCZOS)
    photo.save(DATA / "amber-256.png")
    for style, checkpoint in sorted(published_styles().items()):
        centre_crop(zoo.load(checkpoint)(photo)).save(DATA / f"amber-256-{style}-crop.png")
        print(f"wrote {DATA / f'amber-256-{style}-crop.png'}")


if __name__ == "__main__":
    main()
