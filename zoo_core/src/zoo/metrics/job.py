"""``zoo.evaluate``: score a model (name, run directory or loaded handle) against real images.

``zoo eval`` parses its options and calls :func:`evaluate_model`; both check every argument before
the extractor or the model is loaded, so a typo costs a second, not an evaluation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.boundary import public
from zoo.errors import ZooError
from zoo.files import check_output_file, check_writable_dir
from zoo.metrics.extractors import AUTO, check_precision, extractor_spec

if TYPE_CHECKING:
    from zoo.metrics.evaluate import Evaluation

MAX_EVAL_SAMPLES = 100_000


def run_dir(model: Any) -> Path | None:
    """``model`` as a training run directory (it holds model.safetensors), whose metrics.json gets the results.

    Decided as ``zoo.load`` decides what ``model`` names: a registered checkpoint or family wins over a folder
    of the same name in the working directory, so the folder never gets the evaluation of another model.
    """
    if not isinstance(model, (str, os.PathLike)):
        return None
    from zoo.api import local_model_path

    path = Path(model)
    try:
        weights = local_model_path(str(model))
    except ZooError:
        return None
    if weights is None or not path.is_dir():
        return None
    return path if weights == path / "model.safetensors" and weights.is_file() else None


def _count(name: str, value: Any, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_EVAL_SAMPLES:
        raise ZooError(f"{name} must be between 1 and {MAX_EVAL_SAMPLES:,}, got {value!r}")


@public(name="evaluate")
def evaluate_model(
    model: Any,
    data: str | os.PathLike[str],
    metrics: str | Sequence[str] | None = None,
    *,
    n: int = 10_000,
    n_real: int | None = None,
    extractor: str = AUTO,
    split: str | None = None,
    seed: int = 0,
    batch_size: int = 50,
    device: str = "cpu",
    precision: str = AUTO,
    output: str | os.PathLike[str] | None = None,
    progress: bool = True,
    say: Callable[[str], None] | None = None,
) -> Evaluation:
    """FID, KID, IS, precision/recall … of ``model`` (a name, run directory or ``zoo.load`` handle) against ``data``.

    A generator (``metrics`` default fid, ``split`` default train) is sampled ``n`` times; an image-to-image
    model translates ``data``'s held-out images (``split`` default test; ``n``: at most that many per
    direction) and is measured by fid, kid and, on paired data, l1, psnr and ssim (the default: all that
    apply; see ``zoo.metrics.translation``). Results go to RUN/metrics.json for a run directory and to
    ``output`` (JSON) when given; the returned Evaluation holds ``values`` and the ``protocol`` that makes
    them comparable.
    """
    from zoo.interfaces import TASK_IMAGE_TO_IMAGE
    from zoo.metrics.evaluate import check_sample_counts, only_generator_metrics, parse_metrics
    from zoo.metrics.translation import PAIRED_MEASURES, check_translation_metrics

    _count("-n", n)
    _count("--n-real", n_real, optional=True)
    _count("--batch-size", batch_size)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ZooError(f"--seed must be between 0 and 2**63-1, got {seed!r}")
    if split is not None and (not isinstance(split, str) or not split.strip()):
        raise ZooError(f"--split must name a split such as 'test' or 'train', got {split!r}")
    names = parse_metrics(metrics, also=PAIRED_MEASURES) if metrics is not None else None
    if extractor != AUTO:
        extractor_spec(extractor)
    check_precision(precision, allow_auto=True)
    from zoo.data_formats import is_hub_spec, parse_hub_spec

    if isinstance(data, (str, os.PathLike)) and is_hub_spec(str(data)):
        parse_hub_spec(str(data))  # a malformed hf: name is refused before any request
    if not isinstance(data, (str, os.PathLike)) or not (is_hub_spec(data) or Path(data).exists()):
        raise ZooError(
            f"data {str(data)!r} does not exist: give an .npz file, a folder of images or shards, or hf:ORG/NAME"
        )
    task = _task(model)  # None when only loading can tell (a Hub name, an unknown one: the load says why)
    if task is not None and task != TASK_IMAGE_TO_IMAGE:
        _generator_metrics(names or ["fid"], str(model))
        if extractor != AUTO:
            check_sample_counts(names or ["fid"], extractor, n, n_real or n)
    elif task == TASK_IMAGE_TO_IMAGE and names:
        check_translation_metrics(names, paired=True, where=str(data))  # unpaired data is told once it is read
    run = run_dir(model)
    if run is not None:
        check_writable_dir(run, "run directory")
    if output is not None:
        check_output_file(Path(output), (".json",))

    from zoo.api import load
    from zoo.metrics.evaluate import evaluate, write_metrics
    from zoo.metrics.extractors import resolve_extractor
    from zoo.model import ModelHandle, parse_device

    if isinstance(model, ModelHandle):
        handle, label = model, model.spec.name
    elif isinstance(model, (str, os.PathLike)):
        handle, label = load(str(model), device=parse_device(device)), str(model)
    else:
        raise ZooError(f"model must be a name, a run directory or a zoo.load() handle, got {type(model).__name__}")
    translating = handle.architecture.task == TASK_IMAGE_TO_IMAGE
    if not translating:
        names = names or ["fid"]
        _generator_metrics(names, label)
        if extractor != AUTO:
            check_sample_counts(names, extractor, n, n_real or n)
    if translating:  # L1, PSNR and SSIM alone read no features
        featured = names is None or any(name not in PAIRED_MEASURES for name in names)
    else:  # nor does PPL alone
        featured = not only_generator_metrics(names)
    if featured:
        extractor, why = resolve_extractor(extractor, progress=progress)
        if why and say is not None:
            say(f"extractor: {extractor} ({why})")
    if translating:
        from zoo.metrics.translation import evaluate_translation

        evaluation = evaluate_translation(
            handle, data, names, split=split or "test", n=n, n_real=n_real, batch_size=batch_size,
            extractor=extractor, device=device, precision=precision, model_name=label, progress=progress,
        )  # fmt: skip
    else:
        evaluation = evaluate(
            handle, data, names, n=n, n_real=n_real, extractor=extractor, split=split or "train", seed=seed,
            batch_size=batch_size, device=device, precision=precision, model_name=label, progress=progress,
        )  # fmt: skip
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun every rank returns rank 0's evaluation; one writes
        for path in written_paths(model, output):
            write_metrics(path, evaluation)
    return evaluation


def _task(model: Any) -> str | None:
    """The model's task from its handle, registry entry or weights header, loading nothing; None if not told so."""
    from zoo.api import local_model_path
    from zoo.hub.names import HUB_PREFIX
    from zoo.registry import get_registry
    from zoo.weights import read_config

    if not isinstance(model, (str, os.PathLike)):  # a handle (zoo.model is not imported: it imports torch)
        return getattr(getattr(model, "architecture", None), "task", None)
    if str(model).startswith(HUB_PREFIX):
        return None
    try:
        path = local_model_path(str(model))
        family = read_config(path)[0] if path is not None else get_registry().resolve(str(model))[0].name
        return get_registry().architecture(family).task if family else None
    except ZooError:
        return None


def _generator_metrics(names: Sequence[str], model: str) -> None:
    """L1, PSNR and SSIM compare a translation with its target: a generator has none to compare."""
    from zoo.metrics.translation import PAIRED_MEASURES

    paired = [name for name in names if name in PAIRED_MEASURES]
    if paired:
        raise ZooError(
            f"{', '.join(paired)} compare translations with their targets, but {model} generates images from "
            f"latents: choose generator metrics such as fid,kid"
        )


def written_paths(model: Any, output: str | os.PathLike[str] | None) -> list[Path]:
    """Where ``evaluate_model`` writes its results: RUN/metrics.json for a run directory, and ``output``."""
    from zoo.metrics.evaluate import METRICS_FILE

    run = run_dir(model)
    return [path for path in ((run / METRICS_FILE) if run else None, Path(output) if output else None) if path]
