"""Model cards in the Hugging Face format: YAML front matter (with a ``zoo:`` block) + Markdown.

The ``zoo:`` block is the checkpoint's spec, so a card is the single source of truth for a
published checkpoint, first or third party.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from zoo.errors import ZooError
from zoo.files import require_regular_file
from zoo.specs import CheckpointSpec, check_name

_FENCE = "---"


def split_card(text: str, source: str) -> tuple[dict[str, Any], str]:
    """Return (front matter, body) of a card; raise a ZooError naming ``source`` if malformed."""
    import yaml

    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise ZooError(f"{source}: a model card must start with '---' and YAML front matter")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE)
    except StopIteration:
        raise ZooError(f"{source}: the front matter is not closed by a '---' line") from None
    try:
        meta = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise ZooError(f"{source}: the front matter is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(meta, dict):
        raise ZooError(f"{source}: the front matter must be a mapping of fields")
    return meta, "".join(lines[end + 1 :])


def read_card(path: str | os.PathLike[str], what: str = "card") -> tuple[dict[str, Any], str]:
    """(front matter, body) of a card file: the one reader, so a FIFO or non-UTF-8 bytes end in one line."""
    path = require_regular_file(path, what)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ZooError(f"{what} {str(path)!r} cannot be read ({exc.strerror}): check the file") from None
    except UnicodeDecodeError as exc:
        raise ZooError(
            f"{what} {str(path)!r} is not UTF-8 text (byte {exc.start}): save it as UTF-8 Markdown"
        ) from None
    return split_card(text, str(path))


# The licence identifiers the Hugging Face Hub accepts in a card's ``license:`` (docs/hub/repositories-licenses).
HUB_LICENSES = frozenset(
    (
        "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
        "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0",
        "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0",
        "etalab-2.0", "eupl-1.1", "eupl-1.2", "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1",
        "lgpl-3.0", "isc", "h-research", "intel-research", "lppl-1.3c", "ms-pl", "apple-ascl", "apple-amlr",
        "mpl-2.0", "odc-by", "odbl", "openrail++", "osl-3.0", "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib",
        "pddl", "lgpl-lr", "deepfloyd-if-license", "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "gemma",
        "unknown", "other",
    )
)  # fmt: skip


def license_problem(value: Any) -> str | None:
    """Why ``value`` is no Hub licence identifier (naming the closest ones), or None: the Hub rejects other ids."""
    if isinstance(value, str) and value in HUB_LICENSES:
        return None
    close = difflib.get_close_matches(str(value).lower(), sorted(HUB_LICENSES), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "use one such as mit, apache-2.0 or cc-by-4.0"
    return f"{value!r} is not a Hugging Face Hub licence identifier: {hint} ('other' with license_name if unlisted)"


def check_license(value: Any, where: str = "--license") -> str:
    """``value`` if it is a Hub licence identifier, else a one-line ZooError naming the closest ones."""
    problem = license_problem(value)
    if problem:
        raise ZooError(f"{where} {problem}")
    return str(value)


_LINE_BREAKING = ("Cc", "Zl", "Zp")  # control characters (newline, tab, NUL, NEL) and Unicode line/paragraph breaks


def one_line_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a one-line card field (it holds a control character), or None.

    Why: a newline in a YAML value can close the front matter early and smuggle in fields.
    """
    if not isinstance(value, str):
        return None
    bad = next((c for c in value if unicodedata.category(c) in _LINE_BREAKING), None)
    if bad is None:
        return None
    return f"holds the control character {bad!r} at position {value.index(bad)}: give it on one line, without it"


def check_one_line(value: Any, field: str) -> None:
    """Raise a one-line ZooError when a one-line card field given from outside holds a control character."""
    problem = one_line_problem(value)
    if problem:
        raise ZooError(f"{field} {problem}")


def checkpoint_from_card(path: str | os.PathLike[str], *, bundled: str | None = None) -> CheckpointSpec:
    """Read a card file and return the checkpoint it describes (``bundled`` = 'pkg:relative/path')."""
    meta, _ = read_card(path, "model card")
    zoo_block = meta.get("zoo")
    if not isinstance(zoo_block, Mapping):
        raise ZooError(f"{path}: missing field 'zoo' (the checkpoint spec) in the front matter")
    fields = dict(zoo_block)
    fields.setdefault("license", meta.get("license"))
    fields["card"] = str(path)
    if bundled is not None:
        fields["bundled"] = bundled
    return CheckpointSpec.from_mapping({k: v for k, v in fields.items() if v is not None}, str(path))


def register_cards(register: Any, package: str, names: Sequence[str]) -> None:
    """Register each ``cards/NAME.md`` of ``package``; weights in ``weights/NAME.safetensors`` count as bundled.

    The one-liner a plugin's ``register_checkpoints`` hook needs; cards marked ``unpublished``
    register without weights.
    """
    from importlib import resources

    root = resources.files(package)
    for name in names:
        weights = f"weights/{name}.safetensors"
        bundled = f"{package}:{weights}" if root.joinpath(weights).is_file() else None
        register(checkpoint_from_card(str(root.joinpath("cards", f"{name}.md")), bundled=bundled))


def card_body(spec: CheckpointSpec) -> str | None:
    """The Markdown text of a checkpoint's card, if the card file is available."""
    if not spec.card or not Path(spec.card).is_file():
        return None
    return read_card(spec.card, "model card")[1].strip()


# --- validation -------------------------------------------------------------------------------

_HEX64 = re.compile(r"[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)")


class CardProblem(NamedTuple):
    """One thing wrong with a card; ``absent``: the card has no value at all, so a tool may offer to supply it."""

    field: str
    problem: str
    absent: bool = False


def sample_images(body: str) -> list[str]:
    """The targets of the Markdown images in a card body (the sample grid is one of them)."""
    return _IMAGE.findall(body)


NOT_EVALUATED = {"evaluated": False, "protocol": "not evaluated: the publisher chose to push without metrics"}
"""What ``zoo push --no-metrics`` writes: an explicit choice, so the card says so instead of lacking a field."""


def _non_finite(metrics: Any, prefix: str = "") -> str | None:
    """The first metric of ``metrics`` (groups and {value: ...} included) that is NaN or infinite, as a problem."""
    if not isinstance(metrics, Mapping):
        return None
    for key, value in metrics.items():
        if isinstance(value, Mapping):
            inner = value.get("value")
            if isinstance(inner, float) and not math.isfinite(inner):
                value = inner
            else:
                problem = _non_finite(value, f"{prefix}{key}.")
                if problem:
                    return problem
                continue
        if isinstance(value, float) and not math.isfinite(value):
            return (
                f"metric {prefix}{key} is not a finite number ({value}): the evaluation failed; "
                "run zoo eval again, or leave the metric out"
            )
    return None


def metrics_problem(metrics: Any) -> str | None:
    """Why a card's ``zoo.metrics`` is unusable, or None: the one check of cards check, push and --compare."""
    return _check_metrics(metrics)


def check_metrics(metrics: Any, source: str) -> None:
    """Raise a one-line ZooError naming ``source`` when its metrics are unusable (NaN, no protocol, not numbers)."""
    problem = metrics_problem(metrics)
    if problem:
        raise ZooError(f"{source}: zoo.metrics: {problem}")


def _check_metrics(metrics: Any) -> str | None:
    """Why ``metrics`` is unusable, or None: finite numbers plus the protocol that produced them.

    A value may be a group ``{protocol: ..., fid: ...}``: the same model under a second feature
    extractor, e.g. a CIFAR-10 checkpoint scored with both zoo-cifar10-resnet and SqueezeNet features.
    """
    if isinstance(metrics, Mapping) and metrics.get("evaluated") is False and metrics.get("protocol"):
        return None
    if not isinstance(metrics, Mapping) or not metrics:
        return "missing: add e.g. {protocol: 'FID-10k vs the train split, zoo eval ...', fid: 31.2}"
    non_finite = _non_finite(metrics)
    if non_finite:
        return non_finite
    protocol = metrics.get("protocol")
    values = {k: v for k, v in metrics.items() if k != "protocol"}
    if not values:
        return "has no values: add at least one metric next to its protocol"
    for key, value in values.items():
        if isinstance(value, Mapping) and "value" not in value and value.get("protocol"):
            problem = _check_metrics(value)  # a group: the same model measured under a second protocol
            if problem:
                return f"{key!r} {problem}"
        elif isinstance(value, Mapping):
            number = value.get("value")
            numeric = isinstance(number, (int, float)) and not isinstance(number, bool)
            if not numeric or not (value.get("protocol") or protocol):
                return f"{key!r} must be a number, or {{value: number, protocol: text}}"
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            return f"{key!r} is {value!r}, not a number"
    if not protocol and not all(isinstance(v, Mapping) for v in values.values()):
        return "has no 'protocol': say how the numbers were measured (sample count, reference set, tool)"
    return None


def _check_fields(
    block: Mapping[str, Any], meta: Mapping[str, Any], hub_repo: bool, draft: bool, bundled: bool = False
) -> list[CardProblem]:
    """(field, problem) pairs for the zoo block of a card."""
    from dataclasses import fields as dataclass_fields

    from zoo.specs import PICKLE_SUFFIXES

    problems: list[CardProblem] = []
    known = {f.name for f in dataclass_fields(CheckpointSpec)} - {"plugin", "card", "bundled"}
    valid = ", ".join(sorted(known))
    problems += [
        CardProblem(f"zoo.{key}", f"unknown field; valid fields are {valid}") for key in sorted(set(block) - known)
    ]

    def text(key: str) -> str | None:
        value = block.get(key)
        if value in (None, ""):
            problems.append(CardProblem(f"zoo.{key}", "missing", absent=True))
            return None
        if not isinstance(value, str):
            problems.append(CardProblem(f"zoo.{key}", f"must be text, got {value!r}"))
            return None
        if one_line_problem(value):
            problems.append(CardProblem(f"zoo.{key}", str(one_line_problem(value))))
            return None
        return value

    name = text("name")
    if name is not None:
        try:
            check_name(name, "checkpoint")
        except ZooError as exc:
            problems.append(CardProblem("zoo.name", str(exc)))
    text("family")
    text("dataset")
    config = block.get("config")
    if not isinstance(config, Mapping):
        wanted = "the architecture config (a mapping of constructor arguments)"
        problem = f"missing: {wanted}" if not config else f"must be {wanted}, got {config!r}"
        problems.append(CardProblem("zoo.config", problem, absent=not config))
    resolution = block.get("resolution")
    if not isinstance(resolution, int) or isinstance(resolution, bool) or resolution <= 0:
        problems.append(CardProblem("zoo.resolution", f"must be a positive integer, got {resolution!r}"))
    elif isinstance(block.get("config"), Mapping) and block["config"].get("resolution", resolution) != resolution:
        other = block["config"]["resolution"]
        problems.append(CardProblem("zoo.resolution", f"{resolution} differs from zoo.config.resolution {other}"))
    licence = meta.get("license") or block.get("license")
    if not licence:
        problems.append(
            CardProblem("license", "missing: the licence of the weights (e.g. mit, cc-by-4.0)", absent=True)
        )
    elif license_problem(licence):
        problems.append(CardProblem("license", str(license_problem(licence))))
    unpublished = block.get("unpublished")
    if unpublished not in (None, ""):
        if not isinstance(unpublished, str):
            problems.append(
                CardProblem("zoo.unpublished", f"must be text saying why and how to train, got {unpublished!r}")
            )
        for key in ("repo_id", "revision", "bundled", "sha256", "size"):
            if block.get(key) not in (None, ""):
                problems.append(
                    CardProblem(f"zoo.{key}", "an unpublished card has no weights: remove it or 'unpublished'")
                )
        command = text("train_command")
        if command is not None and not command.strip():
            problems.append(
                CardProblem("zoo.train_command", "empty: give the exact command that trains the weights", True)
            )
        return problems
    ported = block.get("source") not in (None, "")
    if ported:
        text("source")
    for key in ("sha256",) if ported else ("sha256", "dataset_sha256"):
        value = block.get(key)
        if not (isinstance(value, str) and _HEX64.fullmatch(value)):
            wrong = f"must be 64 lower-case hex digits, got {value!r}"
            problems.append(CardProblem(f"zoo.{key}", wrong) if value else CardProblem(f"zoo.{key}", "missing", True))
    size = block.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        problems.append(CardProblem("zoo.size", f"must be the file size in bytes, got {size!r}"))
    step = block.get("step")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool) or step < 0):
        problems.append(CardProblem("zoo.step", f"must be the training step of the weights (an integer), got {step!r}"))
    filename = text("filename")
    if filename is not None:
        if filename.lower().endswith(PICKLE_SUFFIXES):
            problem = f"{filename!r} is a pickle; publish model.safetensors (the zoo never unpickles)"
            problems.append(CardProblem("zoo.filename", problem))
        elif not filename.endswith(".safetensors") or "/" in filename or "\\" in filename or ".." in filename:
            problems.append(
                CardProblem("zoo.filename", f"{filename!r} must be a plain file name ending in .safetensors")
            )
    command = None if ported and not block.get("train_command") else text("train_command")
    if command is not None and not command.strip():
        problems.append(
            CardProblem("zoo.train_command", "empty: give the exact command that trained the weights", True)
        )
    if draft:
        return problems
    repo_id = block.get("repo_id")
    if not (isinstance(repo_id, str) and _REPO_ID.fullmatch(repo_id) and ".." not in repo_id):
        wrong = f"must be the Hub repo ORG/NAME, got {repo_id!r}"
        problems.append(CardProblem("zoo.repo_id", wrong) if repo_id else CardProblem("zoo.repo_id", "missing", True))
    revision = block.get("revision")
    if hub_repo:
        if revision not in (None, "") and not (isinstance(revision, str) and _COMMIT.fullmatch(revision)):
            problems.append(
                CardProblem("zoo.revision", f"{revision!r} is not a commit; leave it out of a repo's own card")
            )
    elif not revision and not bundled:
        problems.append(
            CardProblem("zoo.revision", "missing: pin the 40-character commit the weights were uploaded in", True)
        )
    elif revision and not (isinstance(revision, str) and _COMMIT.fullmatch(revision)):
        problems.append(
            CardProblem("zoo.revision", f"{revision!r} is a branch or tag; pin the 40-character commit hash")
        )
    metrics = block.get("metrics")
    metrics_problem = _check_metrics(metrics)
    if metrics_problem:
        problems.append(CardProblem("zoo.metrics", metrics_problem, absent=not metrics))
    return problems


def validate_card(
    path: str | os.PathLike[str],
    *,
    hub_repo: bool | None = None,
    draft: bool = False,
    registry: Any = None,
    bundled: bool = False,
) -> list[str]:
    """Every problem of a card as 'FILE: FIELD: what is wrong', so one run lists all fixes.

    ``hub_repo``: the card is a repo's own README.md (it cannot pin its own commit; the sample
    grid must be in the folder). ``draft``: skip what only exists once published (repo, revision,
    metrics, sample grid). ``registry``: also check the family and config keys against it.
    ``bundled``: the weights ship inside a package (sha256-checked), so no Hub commit is needed yet.
    """
    return [
        f"{path}: {field}: {problem}" if field else problem
        for field, problem, _ in card_field_problems(
            path, hub_repo=hub_repo, draft=draft, registry=registry, bundled=bundled
        )
    ]


def card_field_problems(
    path: str | os.PathLike[str],
    *,
    hub_repo: bool | None = None,
    draft: bool = False,
    registry: Any = None,
    bundled: bool = False,
) -> list[CardProblem]:
    """``validate_card``'s problems as (field, problem) pairs, so a command can add its own hint per field.

    A card that cannot be read at all gives one pair with an empty field and the whole message.
    """
    path = Path(path)
    hub_repo = path.name == "README.md" if hub_repo is None else hub_repo
    try:
        meta, body = read_card(path)
    except ZooError as exc:
        return [CardProblem("", str(exc))]
    block = meta.get("zoo")
    if not isinstance(block, Mapping):
        return [
            CardProblem("zoo", "missing (the checkpoint's fields live in a 'zoo:' block of the front matter)", True)
        ]
    problems = _check_fields(block, meta, hub_repo, draft, bundled)
    name = block.get("name")
    if not hub_repo and isinstance(name, str) and path.stem != name:
        problems.append(CardProblem("zoo.name", f"{name!r} differs from the file name {path.name!r}"))
    if registry is not None and isinstance(block.get("family"), str):
        family = block["family"]
        if family not in registry.architectures:
            problems.append(CardProblem("zoo.family", f"{family!r} is not provided by any installed plugin"))
        elif isinstance(block.get("config"), Mapping):
            unknown = sorted(set(block["config"]) - set(registry.architectures[family].default_config))
            if unknown:
                problems.append(CardProblem("zoo.config", f"{family} has no key(s) {', '.join(unknown)}"))
    if not draft and not block.get("unpublished"):
        images = sample_images(body)
        if not images:
            problem = "no sample grid: add ![samples](samples.png) (an image of generated samples)"
            problems.append(CardProblem("body", problem, absent=True))
        for image in local_images(body):
            if ".." in Path(image).parts or Path(image).is_absolute() or not (path.parent / image).is_file():
                link = (
                    f" (the card links to {path.resolve()}: link its images beside it too)" if path.is_symlink() else ""
                )
                problems.append(CardProblem("body", f"sample image {image!r} is not a file next to the card{link}"))
    return problems


def local_images(body: str) -> list[str]:
    """The images of a card body that are files beside the card (not URLs), each once."""
    return list(dict.fromkeys(image for image in sample_images(body) if "://" not in image))
