"""The numbers a translator must beat: each input left untranslated, measured as ``zoo eval`` measures translations.

    python scripts/translation_baseline.py colorize_celeba64.npz --split test
    python scripts/translation_baseline.py horse2zebra128.npz --split test --fid

Paired data: L1, PSNR and SSIM of each input itself against its target (``zoo.metrics.paired``: uint8 images,
L1 on the 0-1 scale, PSNR with data range 255, SSIM of Wang et al. 2004). An input with fewer channels than
its target (greyscale -> colour) is repeated to the target's channels, so colourisation's baseline is "leave
it grey". ``--fid`` (paired or unpaired): FID and KID of the untranslated inputs against the other domain's
images, every direction, on the features ``zoo eval`` uses (``--extractor``, default the bundled
squeezenet1_1-imagenet): the distance a translator starts from (horses left as horses, scored as zebras).
"""

from __future__ import annotations

import argparse

import torch
from zoo.metrics.paired import l1, psnr, ssim
from zoo.translation_data import load_translation_data


def _paired(data, name: str, split: str) -> None:
    a = torch.from_numpy(data.a).permute(0, 3, 1, 2)
    b = torch.from_numpy(data.b).permute(0, 3, 1, 2)
    if a.shape[1] != b.shape[1]:
        a = a.expand(-1, b.shape[1], -1, -1)  # grey repeated to colour
    print(
        f"{name} ({split}, {len(a)} pairs), input as its own translation: "
        f"L1 {float(l1(a, b).mean()):.4f}, PSNR {float(psnr(a, b).mean()):.2f} dB, SSIM {float(ssim(a, b).mean()):.4f}"
    )


def _untranslated_distances(data, name: str, split: str, extractor: str) -> None:
    """FID and KID of one domain's images, as they are, against the other's: both directions."""
    from zoo.metrics.extractors import build_extractor, resolve_precision
    from zoo.metrics.translation import _feature_values, _features, _nchw

    precision, _ = resolve_precision("auto", "cpu")  # as zoo eval's default: the card's figures compare
    built = build_extractor(extractor, device="cpu", precision=precision)

    def features(images) -> torch.Tensor:
        return torch.cat([_features(built, _nchw(images[i : i + 50], 3, name)) for i in range(0, len(images), 50)])

    a, b = features(data.a), features(data.b)
    ways = {"a2b": (a, b)} if data.paired else {"a2b": (a, b), "b2a": (b, a)}  # paired translators go one way
    for direction, (inputs, reference) in ways.items():
        values, _ = _feature_values(inputs, reference, ("fid", "kid"))
        print(
            f"{name} ({split}), {direction} left untranslated ({len(inputs)} inputs vs {len(reference)} targets, "
            f"{extractor} features, {precision}): FID {values['fid']:.1f}, "
            f"KID {values['kid']:.1f} ± {values['kid_std']:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="translation data (an .npz or a folder zoo train reads)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--fid", action="store_true", help="also FID and KID of the untranslated inputs")
    parser.add_argument("--extractor", default="squeezenet1_1-imagenet")
    args = parser.parse_args()
    data = load_translation_data(args.data, args.split)
    if not data.paired and not args.fid:
        raise SystemExit(f"{args.data} is not paired: L1/PSNR/SSIM need each input's own target (pass --fid)")
    if data.paired:
        _paired(data, args.data, args.split)
    if args.fid:
        _untranslated_distances(data, args.data, args.split, args.extractor)


if __name__ == "__main__":
    main()
