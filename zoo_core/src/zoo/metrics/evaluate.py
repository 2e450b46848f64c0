"""Evaluate a generator against a dataset: every metric shares one extractor and one pass over the images.

Real features come from the statistics cache when the same dataset, split, extractor and
number of images were seen before; generated images are sampled in seeded chunks (class
labels balanced for conditional models) and never all held in memory.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.arguments import comma_list
from zoo.errors import ZooError
from zoo.metrics.extractors import LABELS, POOL, STANDARD_INCEPTION, extractor_spec, metric_label

if TYPE_CHECKING:
    import torch

    from zoo.model import ModelHandle

CHUNK = 500
METRICS_FILE = "metrics.json"
_LABELS = {"fid": "FID", "kid": "KID", "kid_std": "KID std", "is": "IS", "is_std": "IS std",
           "precision": "Precision", "recall": "Recall", "density": "Density", "coverage": "Coverage",
           "ifid": "intra-class FID (mean)", "ppl": "PPL", "ppl-face": "PPL (face crop)"}  # fmt: skip


@dataclass
class Evaluation:
    """Named values, their human labels (which say the features used) and the protocol that produced them.

    ``model_sha256`` is the sha256 of the evaluated weights file, so ``zoo push`` can tell which
    evaluation belongs to the weights it publishes.
    """

    model: str
    values: dict[str, float]
    labels: dict[str, str]
    protocol: dict[str, Any] = field(default_factory=dict)
    date: str = ""
    model_sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "model_sha256": self.model_sha256,
            "results": self.values,
            "labels": self.labels,
            "protocol": self.protocol,
            "date": self.date,
        }


def parse_metrics(text: str | Sequence[str], also: Sequence[str] = ()) -> list[str]:
    """Validate comma-separated metric names against the registry; unknown ones list the valid ones.

    ``also``: names accepted beside the registered metrics (the paired measures of translations, l1, psnr
    and ssim, which compare each translation with its own target and so are no ``Metric`` plugins).
    """
    from zoo.registry import get_registry

    if isinstance(text, str):
        names = comma_list(text, "--metrics", "fid,kid") if text.strip() else []
    else:
        names = [str(name).strip() for name in text]
    registry = get_registry()
    valid = ", ".join(sorted(registry.metrics)) + (f"; translators also {', '.join(also)}" if also else "")
    unknown = [name for name in names if name not in registry.metrics and name not in also]
    if unknown or not names:
        what = f"unknown metric(s) {', '.join(map(repr, unknown))}" if unknown else "no metric given"
        raise ZooError(f"{what}: choose from {valid} (comma-separated, e.g. --metrics fid,kid)")
    return list(dict.fromkeys(names))


def only_generator_metrics(names: Sequence[str]) -> bool:
    """Whether every metric drives the generator itself (PPL) and none compares images."""
    from zoo.registry import get_registry
    from zoo.specs import import_object

    metrics = get_registry().metrics
    return all(getattr(import_object(metrics[name].builder), "needs_generator", False) for name in names)


def check_sample_counts(metrics: Sequence[str], extractor: str, n: int, n_real: int) -> None:
    """Refuse before any work when FID would be computed on fewer samples than feature dimensions + 1."""
    need = extractor_spec(extractor).dims[POOL] + 1
    if "fid" in metrics and min(n, n_real) < need:
        raise ZooError(
            f"FID on {extractor} features ({need - 1}-d) needs at least {need} images per side, "
            f"got {n} generated and {n_real} real: pass -n {need} or more, or drop fid (kid works with fewer)"
        )


def _batches(images: Any, batch_size: int) -> Iterator[torch.Tensor]:
    """uint8 (N, H, W, C) numpy -> (B, C, H, W) torch batches."""
    import torch

    for start in range(0, len(images), batch_size):
        yield _rgb(torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2).contiguous())


def _rgb(batch: torch.Tensor) -> torch.Tensor:
    """Grayscale (B, 1, H, W) repeated to RGB: every extractor reads 3 channels, both sides get the same."""
    from zoo.training.data import match_channels

    return match_channels(batch, 3, "evaluated images").contiguous()


def _generated(
    handle: ModelHandle, n: int, seed: int, batch_size: int, owns: Callable[[int], bool] = lambda chunk: True
) -> Iterator[tuple[int, torch.Tensor, torch.Tensor | None]]:
    """(chunk, uint8 (B, C, H, W) batch, labels or None) in chunks seeded seed, seed+1, …; labels balanced.

    ``owns`` picks the chunks this process makes (under torchrun, every ``world``-th one).
    """
    import torch

    classes = handle.generator.num_classes
    for index, start in enumerate(range(0, n, CHUNK)):
        if not owns(index):
            continue
        count = min(CHUNK, n - start)
        labels = [(start + i) % classes for i in range(count)] if classes else None
        images = handle.sample(count, seed=seed + index, labels=labels, batch_size=batch_size)
        for begin in range(0, count, batch_size):
            batch = _rgb(images[begin : begin + batch_size].permute(0, 3, 1, 2).contiguous())
            yield index, batch, (torch.tensor(labels[begin : begin + batch_size]) if labels else None)


def _prefetched(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``items`` produced by a background thread, ``depth`` ahead: sampling overlaps feature extraction.

    torch releases the GIL in its kernels, so the generator's forward pass runs while the main
    thread extracts features of the previous batch. An error in the producer is raised here.
    """
    import queue
    import threading

    done, stop = object(), threading.Event()
    slots: queue.Queue = queue.Queue(maxsize=depth)

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            slots.put(exc)

    thread = threading.Thread(target=produce, name="zoo-eval-sampler", daemon=True)
    thread.start()
    try:
        while (item := slots.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def _bf16_agreement(extractor: str, device: str, batch: torch.Tensor, features: torch.Tensor) -> str:
    """How far bf16 features of one batch are from float32 ones, for the protocol of an auto-bf16 evaluation."""
    from zoo.metrics.extractors import build_extractor

    reference = build_extractor(extractor, device=device, precision="float32")(batch, (POOL,))[POOL]
    relative = (features.float() - reference).norm(dim=1) / reference.norm(dim=1).clamp(min=1e-12)
    return f"bf16 features vs float32 on {len(batch)} images: max relative L2 difference {float(relative.max()):.2g}"


def _check_labelled(handle: ModelHandle, data: str | os.PathLike[str], metrics: list[str]) -> None:
    """Per-class metrics need a class-conditional generator whose classes are the data's."""
    from zoo.data import class_names

    if not handle.generator.num_classes:
        raise ZooError(f"{', '.join(metrics)} compare classes, but the model is unconditional: drop {metrics[0]}")
    names = class_names(data) if Path(data).is_file() else ()
    if names and handle.classes and tuple(names) != tuple(handle.classes):
        raise ZooError(
            f"the model's classes ({', '.join(handle.classes[:4])}, …) are not {data}'s "
            f"({', '.join(names[:4])}, …): evaluate against the data the model was trained on"
        )


def _value_label(key: str, extractor: str, classes: Sequence[str]) -> str:
    """The human label of a result: what it is and the features it was computed on (PPL: its own distance)."""
    from zoo.metrics.intra_class import per_class_key

    if key.startswith("ppl"):
        return f"{_LABELS[key]} (SqueezeNet LPIPS-form distance)"
    for index, name in enumerate(classes):
        if key == per_class_key(index):
            return metric_label(f"intra-class FID, {name}", extractor)
    return metric_label(_LABELS.get(key, key), extractor)


def _bar(total: int, desc: str, progress: bool):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="img", disable=not progress, leave=False, dynamic_ncols=True)


@dataclass
class _Reference:
    """The real side: cached features (and FID statistics), or the images still to extract."""

    count: int
    total: int
    size: tuple[int, int]
    tensors: dict[str, Any] | None = None
    images: Any = None
    source_size: tuple[int, int] | None = None  # the dataset's own size, when resized to the generator's
    labels: Any = None  # the subset's class labels, when the data has them


def _reference(data: str | os.PathLike[str], split: str, requested: int, cache_key: Any, use_cache: bool) -> _Reference:
    """Look the real features up in the cache; on a miss, load the (seeded) subset of images to extract."""
    from zoo.data import load_images
    from zoo.metrics import statistics
    from zoo.sources import CompressedMember, open_source

    def lookup(count: int) -> _Reference | None:
        entry = statistics.load_reference(cache_key(count), cache_key.outputs) if use_cache else None
        if entry is None:
            return None
        tensors, meta = entry
        if split != "train" and "split_read" not in meta:
            return None  # written before other splits were read: it may hold the train images' features
        if "source_size" not in meta:
            return None  # written before real images were resized: it cannot say whether they were
        size, source = tuple(meta["size"]), tuple(meta["source_size"])
        return _Reference(int(meta["n"]), int(meta["dataset_size"]), size, tensors=tensors, source_size=source)

    hit = lookup(requested)
    if hit is not None:
        return hit
    try:  # only the subset is read, so the data may be larger than memory
        source = open_source(data, split)
    except CompressedMember:  # np.savez_compressed members are read whole
        source = None
    if source is None:
        images, labels = load_images(data, split=split)
        subset = statistics.real_subset(len(images), requested)
        images, count = images[subset], len(images)
    else:
        subset = statistics.real_subset(len(source), requested)
        images, labels, count = source.read_many(subset), source.labels, len(source)
    hit = lookup(len(subset)) if len(subset) != requested else None
    subset_labels = labels[subset] if labels is not None else None
    size = tuple(images.shape[1:3])
    return hit or _Reference(len(subset), count, size, images=images, labels=subset_labels)


class _CacheKey:
    """Maps a number of real images to its cache file (dataset hash, split, extractor, weights, precision)."""

    def __init__(
        self, fingerprint: str, split: str, extractor: str, protocol: dict[str, Any], outputs: list[str], size: int
    ):
        self.fingerprint, self.split, self.outputs = fingerprint, split, outputs
        weights, precision = protocol.get("weights_sha256", "")[:12], protocol.get("precision", "")
        self.key = f"{extractor}-{weights}-{precision}-{size}px"  # real images are resized to the generator's size

    def __call__(self, count: int) -> Path:
        from zoo.metrics import statistics

        return statistics.cache_path(self.fingerprint, self.split, self.key, count)


def evaluate(
    handle: ModelHandle,
    data: str | os.PathLike[str],
    metrics: Sequence[str] = ("fid",),
    *,
    n: int = 10_000,
    n_real: int | None = None,
    extractor: str = "auto",
    split: str = "train",
    seed: int = 0,
    batch_size: int = 50,
    device: str = "cpu",
    precision: str = "auto",
    model_name: str = "",
    progress: bool = True,
) -> Evaluation:
    """Compute ``metrics`` for ``n`` generated images against ``n_real`` (default n) images of ``data``.

    ``split`` names the reference images of an .npz with splits; data without splits is used whole
    for ``train`` (the protocol then says 'all') and refused for any other split.
    """
    import torch

    from zoo.data import data_split, dataset_fingerprint
    from zoo.data_formats import public_dataset
    from zoo.metrics import statistics
    from zoo.metrics.base import FeatureMetric
    from zoo.metrics.extractors import build_extractor, resolve_extractor, resolve_precision
    from zoo.metrics.frechet import FID
    from zoo.metrics.sharding import current_shard
    from zoo.registry import get_registry
    from zoo.specs import import_object
    from zoo.weights import sha256_file

    names = parse_metrics(metrics)
    shard = current_shard(device)
    if only_generator_metrics(names):  # PPL alone: no real images, no extractor (rank 0 alone under torchrun)
        generator_metrics = [import_object(get_registry().metrics[name].builder)() for name in names]
        for metric in generator_metrics:
            metric.check(handle.generator)
        walks = generator_metrics
        return shard.share(lambda: _generator_only(handle, walks, n, seed, batch_size, model_name, progress))
    extractor, chosen_because = resolve_extractor(extractor, progress=progress)
    spec = extractor_spec(extractor)
    generator = handle.generator
    if generator.task == "image-to-image":
        raise ZooError(
            f"{model_name or handle.architecture.name} is an image-to-image model: measure its translations with "
            f"zoo.evaluate (or zoo.metrics.translation.evaluate_translation)"
        )
    if generator.channels not in (1, 3):
        raise ZooError(f"the generator makes {generator.channels}-channel images; the metrics read grayscale or RGB")
    resolution = generator.resolution
    if not spec.accepts(resolution):
        raise ZooError(
            f"{extractor} needs {spec.size_requirement()} but the generator makes "
            f"{resolution}x{resolution}: use --extractor {STANDARD_INCEPTION}"
        )
    check_sample_counts(names, extractor, n, n_real or n)
    used_split = data_split(data, split)
    fingerprint = dataset_fingerprint(data)

    precision, precision_why = resolve_precision(precision, device)
    built = build_extractor(extractor, device=device, precision=precision)
    objects = {}
    for name in names:
        cls = import_object(get_registry().metrics[name].builder)
        objects[name] = cls(extractor=built) if issubclass(cls, FeatureMetric) else cls()
    feature_metrics = [m for m in objects.values() if isinstance(m, FeatureMetric)]
    generator_metrics = [m for m in objects.values() if getattr(m, "needs_generator", False)]
    plain = [m for m in objects.values() if not isinstance(m, FeatureMetric) and m not in generator_metrics]
    for metric in generator_metrics:
        metric.check(generator)
    if shard.distributed and plain:
        direct = ", ".join(m.name for m in plain)
        raise ZooError(f"{direct} read images directly and cannot be sharded over ranks: run them in one process")
    labelled = any(m.needs_labels for m in feature_metrics)
    if labelled:
        _check_labelled(handle, data, [m.name for m in feature_metrics if m.needs_labels])
    extracted = sorted({m.feature for m in feature_metrics if m.needs_real})
    real_outputs = sorted({*extracted, *([LABELS] if labelled else [])})
    fake_outputs = sorted({m.feature for m in feature_metrics})

    def real_side() -> tuple[_Reference, str | None]:
        """The real images' features (cached or extracted) fed to the metrics; rank 0 alone under torchrun."""
        cache_key = _CacheKey(fingerprint, used_split, extractor, built.protocol, real_outputs, resolution)
        reference = _reference(data, split, n_real or n, cache_key, use_cache=bool(real_outputs) and not plain)
        if reference.size != (resolution, resolution):
            if reference.images is None or reference.size[0] != reference.size[1]:
                raise ZooError(
                    f"the generator makes {resolution}x{resolution} images but {data} holds "
                    f"{reference.size[0]}x{reference.size[1]} images: crop them to squares or use other data"
                )
            import numpy as np

            from zoo.training.data import resize_images

            nchw = torch.from_numpy(np.ascontiguousarray(reference.images)).permute(0, 3, 1, 2)
            reference.images = resize_images(nchw, resolution).permute(0, 2, 3, 1).numpy()
            reference.source_size, reference.size = reference.size, (resolution, resolution)
        resized = None
        if reference.source_size and reference.source_size != reference.size:
            (h, w), (rh, rw) = reference.source_size, reference.size
            resized = f"{h}x{w} -> {rh}x{rw}, as zoo train resizes"
        check_sample_counts(names, extractor, n, reference.count)
        if labelled and reference.tensors is None and reference.labels is None:
            raise ZooError(f"intra-class metrics need class labels, but {data} has none: use labelled data")

        if reference.tensors is not None:
            real_features = {o: reference.tensors[f"features.{o}"] for o in real_outputs}
        else:
            chunks: dict[str, list[torch.Tensor]] = {o: [] for o in extracted}
            with _bar(reference.count, f"real ({split})", progress) as bar:
                for batch in _batches(reference.images, batch_size) if extracted or plain else ():
                    for o, value in (built(batch, extracted) if extracted else {}).items():
                        chunks[o].append(value)
                    for metric in plain:
                        metric.update(batch, real=True)
                    bar.update(len(batch))
            real_features = {o: torch.cat(v) for o, v in chunks.items()}
            if labelled:
                real_features[LABELS] = torch.from_numpy(reference.labels.astype("int64"))
            if real_outputs:
                meta = {"size": list(reference.size), "source_size": list(reference.source_size or reference.size),
                        "n": reference.count, "dataset_size": reference.total,
                        "split": used_split, "split_read": used_split, "extractor": built.protocol,
                        "dataset_sha256": fingerprint}  # fmt: skip
                statistics.save_reference(cache_key(reference.count), real_features, meta)
        for metric in feature_metrics:
            if isinstance(metric, FID) and reference.tensors is not None and "mu" in reference.tensors:
                metric.set_reference(reference.tensors["mu"], reference.tensors["sigma"], reference.count)
            elif metric.needs_real:
                metric.update_features(real_features, real=True)
        return reference, resized

    real_done: list[tuple[_Reference, str | None]] = []
    shard.share(lambda: real_done.append(real_side()))  # an error on rank 0 stops every rank

    handle.eval()
    agreement = ""
    kept: dict[int, list[dict[str, torch.Tensor]]] = {}  # under torchrun: this rank's chunks, for rank 0
    with _bar(n, "generated", progress and shard.is_main) as bar:
        generated = _generated(handle, n, seed, batch_size, shard.owns)
        for chunk, batch, labels in _prefetched(generated) if feature_metrics or plain else ():
            features = built(batch, fake_outputs) if fake_outputs else {}
            if precision_why and precision == "bfloat16" and not agreement and POOL in features:
                agreement = _bf16_agreement(extractor, device, batch, features[POOL])
            if labelled:
                features[LABELS] = labels
            if shard.distributed:
                kept.setdefault(chunk, []).append(features)
            for metric in feature_metrics if not shard.distributed else ():
                metric.update_features(features, real=False)
            for metric in plain:
                metric.update(batch, real=False)
            bar.update(len(batch))
    for batches in shard.gather_chunks(kept) if shard.distributed else ():
        for features in batches:  # every rank's chunks, in the order one process makes them
            for metric in feature_metrics:
                metric.update_features(features, real=False)

    def finish() -> Evaluation:
        """Rank 0 (or the one process): path metrics, every value, the protocol."""
        reference, resized = real_done[0]
        for metric in generator_metrics:
            with _bar(n, f"{metric.name} pairs", progress) as bar:
                metric.measure(generator, n, seed=seed, batch_size=batch_size, progress=bar)

        values: dict[str, float] = {}
        protocol: dict[str, Any] = {**built.protocol}
        if chosen_because:
            protocol["extractor_choice"] = f"auto: {chosen_because}"
        if precision_why:
            protocol["precision_choice"] = precision_why + (f"; {agreement}" if agreement else "")
        if resized:
            protocol["real_resize"] = resized
        if generator.channels == 1:
            protocol["channels"] = "grayscale, repeated to RGB on both sides"
        for metric in objects.values():
            values.update({k: float(v) for k, v in metric.compute().items()})
            if hasattr(metric, "protocol"):
                protocol.update(metric.protocol())
        count, total = reference.count, reference.total
        subset = "all" if count == total else f"random {count} of {total}, seed {statistics.SUBSET_SEED}"
        name = public_dataset(str(data))  # a file's name, never its local path; hf:ORG/NAME whole
        real = {"data": name, "sha256": fingerprint, "split": used_split, "subset": subset, "total": total}
        if count != total:
            real["subset_seed"] = statistics.SUBSET_SEED
        protocol.update({
            "num_generated": n, "num_real": count, "generator_seed": seed, "reference": real,
            "labels": "balanced over classes" if generator.num_classes else "none",
        })  # fmt: skip
        labels = {k: _value_label(k, extractor, handle.classes) for k in values}
        date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        model_sha256 = sha256_file(handle.source) if handle.source and Path(handle.source).is_file() else ""
        evaluation = Evaluation(model_name, values, labels, protocol, date, model_sha256)
        if shard.distributed:
            evaluation.protocol["ranks"] = shard.world  # the values equal one process's; the protocol says how
        return evaluation

    return shard.share(finish)  # every rank returns rank 0's evaluation, or raises its error


def _generator_only(
    handle: ModelHandle, metrics: list[Any], n: int, seed: int, batch_size: int, model_name: str, progress: bool
) -> Evaluation:
    """An evaluation by metrics that drive the generator themselves (PPL): their protocol, n and the seed only."""
    from zoo.weights import sha256_file

    handle.eval()
    values: dict[str, float] = {}
    protocol: dict[str, Any] = {"num_pairs": n, "generator_seed": seed}
    for metric in metrics:
        with _bar(n, f"{metric.name} pairs", progress) as bar:
            metric.measure(handle.generator, n, seed=seed, batch_size=batch_size, progress=bar)
        values.update({k: float(v) for k, v in metric.compute().items()})
        protocol.update(metric.protocol())
    labels = {k: _value_label(k, "", handle.classes) for k in values}
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    model_sha256 = sha256_file(handle.source) if handle.source and Path(handle.source).is_file() else ""
    return Evaluation(model_name, values, labels, protocol, date, model_sha256)


def write_metrics(path: str | os.PathLike[str], evaluation: Evaluation) -> Path:
    """Add ``evaluation`` to a metrics.json (atomically), replacing an earlier one with the same protocol."""
    from zoo.files import atomic_path

    path = Path(path)
    document: dict[str, Any] = {"evaluations": []}
    if path.is_file():
        try:
            document = json.loads(path.read_text())
        except json.JSONDecodeError:
            raise ZooError(f"{path} is not valid JSON: move it away and run zoo eval again") from None
    kept = [e for e in document.get("evaluations", []) if e.get("protocol") != evaluation.protocol]
    document["evaluations"] = [*kept, evaluation.as_dict()]
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path
