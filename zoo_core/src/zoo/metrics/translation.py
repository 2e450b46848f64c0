"""Evaluate an image-to-image model against held-out images of its target domain (``zoo eval`` of translators).

Every direction the model has is measured on the data's held-out split: the inputs of one domain are
translated and quantised to uint8, exactly as ``zoo translate`` saves them, then compared with the
other domain. FID and KID (on one feature extractor, as for generators) compare the translations with
the target domain's images; paired data also gives L1, PSNR and SSIM of each translation against its
own target. A two-way model's keys carry their direction (``fid_a2b``, ``psnr_b2a``, ``kid_a2b_std``), a
one-way model's do not (``fid``, ``psnr``), so a key always means the same thing for one model.

The paired measures (``l1``, ``psnr``, ``ssim``) are defined in ``zoo.metrics.paired``.

Test splits are small (CycleGAN's horse2zebra: 120 and 140 images), so FID is computed on fewer images
than feature dimensions where it must be, as published translation FIDs are; the protocol then says the
covariances are singular, and such FIDs are comparable only at equal image counts.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError
from zoo.metrics.paired import PAIRED_PROTOCOL, l1, psnr, ssim

if TYPE_CHECKING:
    import numpy as np
    import torch

    from zoo.metrics.evaluate import Evaluation
    from zoo.metrics.extractors import ExtractorSpec
    from zoo.model import ModelHandle
    from zoo.translation_data import TranslationData

FEATURE_MEASURES = ("fid", "kid")
PAIRED_MEASURES = ("l1", "psnr", "ssim")
"""Measures of a translation against its own target: no ``Metric`` plugins, since they need paired data."""
TRANSLATION_METRICS = FEATURE_MEASURES + PAIRED_MEASURES
DIRECTIONS = ("a2b", "b2a")  # zoo.interfaces.DIRECTIONS, which settings validation cannot import (torch)
_LABELS = {"fid": ("FID", ""), "kid": ("KID", ""), "l1": ("L1", "mean |translation - target|, 0-1 scale"),
           "psnr": ("PSNR", "dB"), "ssim": ("SSIM", "")}  # fmt: skip


def direction_key(key: str, direction: str | None) -> str:
    """A result key for one direction of a two-way model: fid -> fid_a2b, kid_std -> kid_a2b_std (None: as is)."""
    if direction is None:
        return key
    base, std = (key[: -len("_std")], "_std") if key.endswith("_std") else (key, "")
    return f"{base}_{direction}{std}"


def base_key(key: str) -> str:
    """The measure a result key is of, without its direction: psnr_b2a -> psnr, kid_a2b_std -> kid_std."""
    for direction in DIRECTIONS:
        key = key.replace(f"_{direction}", "")
    return key


def check_translation_metrics(names: Sequence[str], paired: bool, where: str) -> None:
    """Refuse metrics a translation cannot be measured by, and paired measures on unpaired data, in one line."""
    other = [name for name in names if name not in TRANSLATION_METRICS]
    if other:
        raise ZooError(
            f"{', '.join(other)} measure generators; translations are measured by {', '.join(TRANSLATION_METRICS)}"
        )
    asked = [name for name in names if name in PAIRED_MEASURES]
    if asked and not paired:
        raise ZooError(
            f"{', '.join(asked)} compare each translation with its own target, but {where} is unpaired "
            f"(two domains): drop {asked[0]}, or evaluate on paired data (A and B of the same scenes)"
        )


def choose_split(data: str | os.PathLike[str], split: str) -> str:
    """``split`` if the data has it; data without splits is used whole (WHOLE); else a ZooError naming the splits."""
    from zoo.data_formats import WHOLE
    from zoo.translation_data import translation_splits

    present = list(translation_splits(data))
    if split in present:
        return split
    if present == [WHOLE]:
        return WHOLE  # the data given for evaluation is the held-out data; the protocol says split 'all'
    found = ", ".join(present) if present else "none (no A/B, trainA/trainB or side-by-side images)"
    raise ZooError(f"{data} has no {split!r} split; it holds: {found}: pass --split with one of them")


def _nchw(images: np.ndarray, channels: int, source: str) -> torch.Tensor:
    """uint8 (N, H, W, C) numpy -> uint8 (N, channels, H, W) torch (grey <-> RGB as training converts)."""
    import numpy as np
    import torch

    from zoo.training.data import match_channels

    tensor = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    return match_channels(tensor, channels, source).contiguous()


def _translated(
    handle: ModelHandle, direction: str, inputs: np.ndarray, batch_size: int, name: str
) -> Iterator[tuple[slice, torch.Tensor]]:
    """(rows, uint8 (B, C_out, H, W) translations) in batches, rounded from [0, 1] as ``zoo translate`` saves them."""
    import torch

    _, _, (in_channels, _) = handle.translator(direction)
    for start in range(0, len(inputs), batch_size):
        rows = slice(start, start + batch_size)
        x = _nchw(inputs[rows], in_channels, f"{direction} inputs").float().div_(255.0)
        try:
            out = handle.translate(x, direction=direction)
        except RuntimeError as exc:  # a size the network's strides cannot take
            problem = str(exc).splitlines()[0][:160]
            raise ZooError(
                f"{name} could not translate {x.shape[2]}x{x.shape[3]} images {direction} ({problem}): give images "
                f"of the size it was trained at, {handle.generator.resolution}x{handle.generator.resolution}"
            ) from None
        yield rows, out.clamp(0, 1).mul(255).round().to(torch.uint8).cpu()


def _features(built: Any, images: torch.Tensor) -> torch.Tensor:
    """Float32 pool features (on the CPU) of uint8 images, grey repeated to RGB (what every extractor reads)."""
    from zoo.metrics.extractors import POOL
    from zoo.training.data import match_channels

    return built(match_channels(images, 3, "evaluated images").contiguous(), (POOL,))[POOL].float().cpu()


def _feature_values(fake: torch.Tensor, real: torch.Tensor, names: Sequence[str]) -> tuple[dict[str, float], dict]:
    """FID and/or KID of the translations' features against the reference's, and KID's subsets for the protocol."""
    from zoo.metrics.frechet import frechet_distance, gaussian_statistics
    from zoo.metrics.kid import kernel_distance

    if min(len(fake), len(real)) < 2:
        raise ZooError(f"FID and KID need at least 2 images per side, got {len(fake)} translated and {len(real)} real")
    values: dict[str, float] = {}
    if "fid" in names:
        values["fid"] = frechet_distance(*gaussian_statistics(real), *gaussian_statistics(fake))
    if "kid" in names:
        values["kid"], values["kid_std"], size, subsets = kernel_distance(fake, real)
        return values, {"kid_subsets": subsets, "kid_subset_size": size}
    return values, {}


def _check_sizes(pairs: TranslationData, spec: ExtractorSpec) -> None:
    """Extractors read square images of the sizes they accept: refuse others before any translation."""
    for side, images in (("A", pairs.a), ("B", pairs.b)):
        height, width = images.shape[1:3]
        if height != width or not spec.accepts(height):
            raise ZooError(
                f"FID and KID on {spec.name} need square {spec.size_requirement()}, but the {side} images are "
                f"{height}x{width}: crop them square, or drop fid and kid"
            )


def _label(key: str, extractor: str) -> str:
    """'FID a2b (squeezenet1_1-imagenet features)', 'PSNR (dB)', 'KID std': what a value is, and its features."""
    from zoo.metrics.extractors import metric_label

    measure = base_key(key).removesuffix("_std")
    short, unit = _LABELS[measure]
    direction = next((d for d in DIRECTIONS if f"_{d}" in key), "")
    text = " ".join(filter(None, (short, direction, "std" if key.endswith("_std") else "")))
    text += f" ({unit})" if unit else ""
    return metric_label(text, extractor) if measure in FEATURE_MEASURES else text


def _measure(
    handle: ModelHandle, pairs: TranslationData, direction: str, names: Sequence[str], built: Any, options: dict
) -> tuple[dict[str, float], dict[str, Any]]:
    """One direction: translate (a seeded subset of) its inputs, compare with the other domain; values and record."""
    import torch
    from tqdm import tqdm

    from zoo.metrics.statistics import real_subset

    inputs, targets = (pairs.a, pairs.b) if direction == "a2b" else (pairs.b, pairs.a)
    _, _, (in_channels, out_channels) = handle.translator(direction)
    n, n_real, batch_size = options["n"], options["n_real"], options["batch_size"]
    picked = real_subset(len(inputs), n or len(inputs))
    reference = real_subset(len(targets), n_real or n or len(targets))  # paired, by default: the picked targets
    sources = inputs[picked]
    goals = targets[picked] if pairs.paired and any(m in PAIRED_MEASURES for m in names) else None
    fake: list[torch.Tensor] = []
    sums = dict.fromkeys(PAIRED_MEASURES, 0.0)
    bar = tqdm(total=len(sources), desc=f"translating {direction}", unit="img", disable=not options["progress"],
               leave=False)  # fmt: skip
    for rows, out in _translated(handle, direction, sources, batch_size, options["name"]):
        if built is not None:
            fake.append(_features(built, out))
        if goals is not None:
            target = _nchw(goals[rows], out_channels, f"{direction} targets")
            if target.shape != out.shape:
                raise ZooError(
                    f"{options['name']} made {out.shape[2]}x{out.shape[3]} images from {target.shape[2]}x"
                    f"{target.shape[3]} inputs: paired measures need translations of the targets' size"
                )
            sums["l1"] += float(l1(out, target).sum())
            sums["psnr"] += float(psnr(out, target).sum())
            sums["ssim"] += float(ssim(out, target).sum()) if "ssim" in names else 0.0
        bar.update(out.shape[0])
    bar.close()
    values = {m: sums[m] / len(sources) for m in PAIRED_MEASURES if m in names}
    record: dict[str, Any] = {
        "inputs": "A" if direction == "a2b" else "B", "num_translated": len(picked), "inputs_total": len(inputs),
        "reference": "B" if direction == "a2b" else "A", "num_real": len(reference), "real_total": len(targets),
        "channels": f"{in_channels} -> {out_channels}, grey repeated to RGB for the features",
    }  # fmt: skip
    if built is not None:
        real = [_features(built, _nchw(targets[reference[i : i + batch_size]], 3, "reference images"))
                for i in range(0, len(reference), batch_size)]  # fmt: skip
        feature_values, kid_record = _feature_values(torch.cat(fake), torch.cat(real), names)
        values.update(feature_values)
        record.update(kid_record)
    return values, record


def _described(
    handle: ModelHandle,
    data: str | os.PathLike[str],
    pairs: TranslationData,
    names: Sequence[str],
    records: dict,
    built: Any,
) -> dict[str, Any]:
    """The protocol beyond the extractor's: the reference, each direction's counts, how translations were made."""
    from zoo.data import dataset_fingerprint
    from zoo.data_formats import public_dataset
    from zoo.metrics.extractors import POOL
    from zoo.metrics.statistics import SUBSET_SEED

    protocol: dict[str, Any] = {
        "reference": {"data": public_dataset(str(data)), "sha256": dataset_fingerprint(data), "split": pairs.split,
                      "layout": pairs.layout},
        "directions": records,
        "translation": f"uint8, rounded from [0, 1] as zoo translate saves them; {handle.inference_plan.describe()}",
        "size": f"{pairs.a.shape[1]}x{pairs.a.shape[2]} (A), {pairs.b.shape[1]}x{pairs.b.shape[2]} (B), not resized",
    }  # fmt: skip
    if any(r["num_translated"] < r["inputs_total"] or r["num_real"] < r["real_total"] for r in records.values()):
        protocol["subset_seed"] = SUBSET_SEED
    if any(m in PAIRED_MEASURES for m in names):
        protocol["paired"] = PAIRED_PROTOCOL
    if "kid" in names:
        protocol.update({"kid_seed": 2020, "kid_kernel": "(x.y/d+1)^3"})
    dims = built.dims[POOL] if built is not None else 0
    few = [d for d, r in records.items() if "fid" in names and min(r["num_translated"], r["num_real"]) <= dims]
    if few:
        protocol["fid_samples"] = (
            f"{', '.join(few)}: fewer images than the {dims} feature dimensions + 1, so the covariances are "
            f"singular and FID is biased upwards; compare only FIDs of equal image counts"
        )
    return protocol


def evaluate_translation(
    handle: ModelHandle,
    data: str | os.PathLike[str],
    metrics: Sequence[str] | None = None,
    *,
    split: str = "test",
    directions: Sequence[str] | None = None,
    n: int | None = None,
    n_real: int | None = None,
    batch_size: int = 50,
    extractor: str = "auto",
    device: str = "cpu",
    precision: str = "auto",
    model_name: str = "",
    progress: bool = True,
) -> Evaluation:
    """Measure ``handle``'s translations of ``data``'s ``split`` in ``directions`` (default: every one it has).

    ``metrics``: fid, kid, l1, psnr, ssim (default: fid and kid, plus l1, psnr and ssim on paired data).
    ``n`` / ``n_real``: at most this many inputs / reference images per direction (a seeded subset; default
    all). ``device`` and ``precision`` are the extractor's; the model translates where it was loaded.
    Data without splits is used whole (the protocol's split is then 'all').
    """
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE
    from zoo.metrics.evaluate import Evaluation
    from zoo.metrics.extractors import build_extractor, extractor_spec, resolve_extractor, resolve_precision
    from zoo.translation_data import load_translation_data
    from zoo.weights import sha256_file

    name = model_name or handle.spec.name
    if handle.architecture.task != TASK_IMAGE_TO_IMAGE:
        raise ZooError(f"{name} generates images from latents: evaluate it with zoo eval's generator metrics")
    own = tuple(getattr(handle.generator, "directions", None) or ("a2b",))
    chosen = list(dict.fromkeys(own if directions is None else directions))
    for direction in chosen:
        handle.translator(direction)  # an unknown direction: the handle's one-line error
    used_split = choose_split(data, split)
    pairs = load_translation_data(data, used_split)
    names = list(dict.fromkeys(metrics)) if metrics else [*FEATURE_MEASURES, *(PAIRED_MEASURES if pairs.paired else ())]
    check_translation_metrics(names, pairs.paired, pairs.source)
    featured = [m for m in names if m in FEATURE_MEASURES]
    protocol: dict[str, Any] = {"task": TASK_IMAGE_TO_IMAGE}
    built = None
    if featured:
        extractor, why = resolve_extractor(extractor, progress=progress)
        _check_sizes(pairs, extractor_spec(extractor))
        precision, precision_why = resolve_precision(precision, device)
        built = build_extractor(extractor, device=device, precision=precision)
        protocol.update(built.protocol)
        protocol.update({"extractor_choice": f"auto: {why}"} if why else {})
        protocol.update({"precision_choice": precision_why} if precision_why else {})

    handle.eval()
    options = {"n": n, "n_real": n_real, "batch_size": batch_size, "progress": progress, "name": name}
    values: dict[str, float] = {}
    records: dict[str, dict[str, Any]] = {}
    for direction in chosen:
        found, records[direction] = _measure(handle, pairs, direction, names, built, options)
        values.update({direction_key(k, direction if len(own) > 1 else None): v for k, v in found.items()})

    protocol.update(_described(handle, data, pairs, names, records, built))
    labels = {key: _label(key, extractor) for key in values}
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    sha = sha256_file(handle.source) if handle.source and Path(handle.source).is_file() else ""
    return Evaluation(name, values, labels, protocol, date, sha)
