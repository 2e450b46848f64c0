"""What ``zoo eval`` measured, in words and in the numbers a model card holds.

``zoo eval`` keeps every evaluation with its full protocol (a mapping) in metrics.json; a card's
``zoo.metrics`` is ``{protocol: one line, fid: number, ...}``. This module turns the first into
the second, so ``zoo eval RUN`` followed by ``zoo push RUN`` publishes what was measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from zoo.errors import ZooError
from zoo.metrics.extractors import STANDARD_INCEPTION

_HAND_WRITTEN = "{protocol: 'how it was measured', fid: 31.2}"


def reference_text(reference: Mapping[str, Any], count: Any) -> str:
    """'all 3,780 images of emoji64.npz' or 'random 1,000 of 50,000 train images of cifar10_jpeg.npz (seed 0)'."""
    split = reference.get("split")
    kind = "images" if split in (None, "all") else f"{split} images"
    data = reference.get("data", "the data")
    subset = str(reference.get("subset", "all"))
    if subset == "all":
        return f"all {_count(count)} {kind} of {data}"
    total, seed = reference.get("total"), reference.get("subset_seed")
    if total is None or seed is None:  # an older metrics.json has them only in this text
        words = subset.replace(",", "").split()
        if len(words) == 6 and words[0] == "random" and words[4] == "seed":
            total, seed = words[3], words[5]
    if total is not None and seed is not None:
        return f"random {_count(count)} of {_count(total)} {kind} of {data} (seed {seed})"
    return f"{_count(count)} {kind} of {data} ({subset})"


def _count(value: Any) -> str:
    """10000 -> '10,000' (text that is no integer is kept as it is)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def protocol_line(protocol: Mapping[str, Any]) -> str:
    """One line saying how an evaluation was measured: features, sample counts, reference images, settings."""
    if "extractor" not in protocol and "num_pairs" in protocol:  # PPL alone: its own distance, no real images
        walks = [f"{key.upper()}: {protocol[key]}" for key in ("ppl", "ppl-face") if protocol.get(key)]
        return "; ".join([*walks, f"generator seed {protocol.get('generator_seed', 0)}"]) + "; zoo eval"
    if protocol.get("task") == "image-to-image":
        return _translation_line(protocol)
    return f"{_features_text(protocol)}, {_generated_text(protocol)}"


def _features_text(protocol: Mapping[str, Any]) -> str:
    """'squeezenet1_1-imagenet features (SqueezeNet…, float32)': the extractor an evaluation used."""
    extractor = protocol.get("extractor", "unknown")
    about = [str(protocol[k]) for k in ("network",) if protocol.get(k)]
    if protocol.get("weights_sha256"):
        about.append(f"weights sha256 {str(protocol['weights_sha256'])[:8]}…")
    if protocol.get("precision"):
        about.append(str(protocol["precision"]))
    return f"{extractor} features" + (f" ({', '.join(about)})" if about else "")


def _translation_line(protocol: Mapping[str, Any]) -> str:
    """A translator's evaluation: each direction's translations against the other domain, the paired measures."""
    reference = protocol.get("reference")
    reference = reference if isinstance(reference, Mapping) else {}
    split = reference.get("split", "all")
    kind = "images" if split in (None, "all") else f"{split} images"
    directions = protocol.get("directions")
    parts = []
    for direction, record in directions.items() if isinstance(directions, Mapping) else ():
        if not isinstance(record, Mapping):
            continue
        part = f"{direction} of {_count(record.get('num_translated'))} {record.get('inputs')} {kind}"
        part += f" vs {_count(record.get('num_real'))} {record.get('reference')}"
        if record.get("kid_subsets"):
            part += f" (KID {record['kid_subsets']} subset(s) of {record.get('kid_subset_size')})"
        parts.append(part)
    data = f"{reference.get('data', 'the data')}, {reference.get('layout', 'unknown layout')}"
    lines = [f"translations {', '.join(parts)} of {data}"]
    if protocol.get("subset_seed") is not None:
        lines[0] += f", random subsets (seed {protocol['subset_seed']})"
    if "extractor" in protocol:
        lines.insert(0, _features_text(protocol))
        lines += [f"resize {protocol['resize']}"] if protocol.get("resize") else []
    if protocol.get("paired"):
        lines.append(f"L1/PSNR/SSIM {protocol['paired']}")
    if protocol.get("fid_samples"):
        lines.append(f"FID on fewer images than feature dimensions ({str(protocol['fid_samples']).split(':')[0]})")
    if "extractor" in protocol and protocol.get("extractor") != STANDARD_INCEPTION:
        lines.append("not Inception-feature scores")
    return "; ".join(lines) + "; zoo eval"


def _generated_text(protocol: Mapping[str, Any]) -> str:
    """The rest of a generator's line: sample counts, the reference images, the metrics' settings."""
    extractor = protocol.get("extractor", "unknown")
    generated = f"{_count(protocol.get('num_generated'))} generated (seed {protocol.get('generator_seed', 0)}"
    labels = protocol.get("labels")
    generated += f", labels {labels})" if labels and labels != "none" else ")"
    reference = protocol.get("reference")
    real = reference_text(reference, protocol.get("num_real")) if isinstance(reference, Mapping) else "real images"
    parts = [f"{generated} vs {real}"]
    if protocol.get("resize"):
        parts.append(f"resize {protocol['resize']}")
    if protocol.get("kid_subsets"):
        parts.append(f"KID {protocol['kid_subsets']} subset(s) of {protocol.get('kid_subset_size')}")
    if protocol.get("is_splits"):
        parts.append(f"IS {protocol['is_splits']} splits")
    if protocol.get("pr_k"):
        parts.append(f"PR k={protocol['pr_k']}")
    if protocol.get("dc_k"):
        parts.append(f"density/coverage k={protocol['dc_k']}")
    if protocol.get("ifid"):
        parts.append(f"intra-class FID: {protocol['ifid']}")
    parts.extend(f"{key.upper()}: {protocol[key]}" for key in ("ppl", "ppl-face") if protocol.get(key))
    if extractor != STANDARD_INCEPTION:
        parts.append("not Inception-feature scores")
    return "; ".join(parts) + "; zoo eval"


def _rounded(value: float) -> float:
    """Three significant digits, as the published cards give them (6.44, 0.151, 0.810)."""
    return float(f"{value:.3g}")


def _newest_first(evaluations: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Latest date first (ISO 8601 sorts as text); of equal dates, the later one in the file first."""
    order = sorted(enumerate(evaluations), key=lambda item: (str(item[1].get("date", "")), item[0]), reverse=True)
    return [evaluation for _, evaluation in order]


def _values(evaluation: Mapping[str, Any]) -> dict[str, float]:
    """An evaluation's finite numeric results, rounded as cards give them."""
    results = evaluation.get("results")
    return {
        str(key): _rounded(float(value))
        for key, value in (results.items() if isinstance(results, Mapping) else ())
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if not (str(key).endswith("_std") and value == 0)  # one KID subset: a std of 0 says nothing
    }


def _newest_of_each_metric(evaluations: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], dict]]:
    """(evaluation, values) for every evaluation that holds the newest value of some metric, newest first.

    ``zoo eval --metrics fid,kid`` then ``--metrics ppl`` on the same weights are two evaluations under
    two protocols; the card keeps both. A metric measured again replaces its older value (a ``_std``
    goes with its mean); an evaluation with nothing newest left drops out, and so does one against other
    reference images than the newest evaluation's (metrics that read no images, as PPL, join any).
    """
    taken: set[str] = set()
    kept = []
    newest = _newest_first(evaluations)
    anchor = next((_reference_key(e) for e in newest if _reference_key(e)), None)
    for evaluation in newest:
        if _reference_key(evaluation) not in (None, anchor):
            continue  # measured against other images than the newest evaluation: not this card's data
        values = {k: v for k, v in _values(evaluation).items() if k.removesuffix("_std") not in taken}
        if values:
            kept.append((evaluation, values))
            taken.update(k.removesuffix("_std") for k in values)
    return kept


def _reference_key(evaluation: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Which images an evaluation measured against (data, its sha256, split), or None for metrics that read none."""
    protocol = evaluation.get("protocol")
    reference = protocol.get("reference") if isinstance(protocol, Mapping) else None
    if not isinstance(reference, Mapping):
        return None
    return (reference.get("sha256") or reference.get("data"), reference.get("split"))


def _group_name(values: Mapping[str, float]) -> str:
    """A nested group's key: its first metric ('ppl' holds ppl and ppl-face)."""
    return next(k for k in values if not k.endswith("_std"))


def card_metrics(document: Any, weights_sha256: str, source: str) -> tuple[Any, str | None]:
    """A card's ``{protocol, fid, ..., GROUP: {protocol, ...}}`` from a metrics file, and a note saying what was used.

    ``document`` is what ``zoo eval`` writes (``{"evaluations": [...]}``) or a hand-written card block,
    which is returned as it is (the card check judges it). The evaluations of these weights
    (``weights_sha256``) all count: each metric's newest value, each group under its own protocol line,
    the one with FID first. Without any of these weights, the latest one of unrecorded weights is used.
    """
    if not (isinstance(document, Mapping) and "evaluations" in document):
        return document, None
    listed = document["evaluations"]
    evaluations = [e for e in listed if isinstance(e, Mapping)] if isinstance(listed, list) else []
    if not evaluations:
        raise ZooError(
            f"{source} holds no evaluations: run 'zoo eval RUN --data DATA' or pass --metrics FILE with {_HAND_WRITTEN}"
        )
    ours = [e for e in evaluations if e.get("model_sha256") == weights_sha256]
    unknown = [e for e in evaluations if not e.get("model_sha256")]
    if not ours and not unknown:
        raise ZooError(
            f"{source} evaluates other weights than the ones pushed (sha256 {weights_sha256[:12]}…, changed since "
            "'zoo eval'): run zoo eval on them again, or pass --metrics FILE"
        )
    if ours:
        groups = _newest_of_each_metric(ours)
        groups.sort(key=lambda group: not any(k.startswith("fid") for k in group[1]))  # stable: FID's group first
    else:
        latest = _newest_first(unknown)[0]
        groups = [(latest, _values(latest))]
    if not groups:  # nothing numeric in any of them: the check below names the newest
        groups = [(_newest_first(ours or unknown)[0], {})]
    metrics: dict[str, Any] = {}
    for position, (evaluation, values) in enumerate(groups):
        protocol = evaluation.get("protocol")
        if not values or not isinstance(protocol, Mapping):
            raise ZooError(
                f"{source}: the evaluation of {evaluation.get('date') or 'undated'} has no numeric results and "
                f"protocol: pass --metrics FILE with {_HAND_WRITTEN}"
            )
        block = {"protocol": protocol_line(protocol), **values}
        if position == 0:
            metrics.update(block)
        else:
            metrics[_group_name(values)] = block
    return metrics, _metrics_note(source, groups, len(ours), len(unknown))


def _metrics_note(source: str, groups: list[tuple[Mapping[str, Any], dict]], ours: int, unknown: int) -> str:
    """Which evaluations the card's metrics came from, said to the user."""
    dates = [str(evaluation.get("date") or "undated") for evaluation, _ in groups]
    if not ours:
        note = f"metrics from {source}: it does not record which weights it evaluated; using "
        latest = f"the latest of {unknown} evaluations" if unknown > 1 else "its evaluation"
        return note + f"{latest} ({dates[0]})"
    if len(groups) == 1:
        note = f"metrics from {source}: the evaluation of these weights ({dates[0]})"
        return note + (f", the latest of {ours}" if ours > 1 else "")
    used = "; ".join(
        f"{when}: {', '.join(k for k in values if not k.endswith('_std'))}"
        for when, (_, values) in zip(dates, groups, strict=True)
    )
    return f"metrics from {source}: each metric's newest value from {len(groups)} evaluations of these weights ({used})"
