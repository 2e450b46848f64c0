"""What plugins register: plain data and builder *strings*, so listing never imports torch."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from zoo.errors import ZooError

TASKS = ("unconditional-image-generation", "class-conditional-image-generation", "image-to-image")
IMAGE_TO_IMAGE = TASKS[2]  # the same name as zoo.interfaces.TASK_IMAGE_TO_IMAGE, without importing torch
PICKLE_SUFFIXES = (".bin", ".pth", ".pt", ".ckpt", ".pkl", ".pickle")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_BUILDER = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def check_name(name: str, what: str) -> None:
    """Refuse names that could escape a directory or confuse a shell."""
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise ZooError(f"{what} name {name!r} is invalid: use lower-case letters, digits, '.', '_' and '-'")


def import_object(path: str, plugin: str = "") -> Any:
    """Import ``"package.module:attr"``; raise a ZooError naming the path if it does not import."""
    module_name, _, attr = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        owner = f"the plugin {plugin!r}" if plugin else "the plugin that registered it"
        raise ZooError(f"builder {path!r} does not import ({exc}): reinstall or upgrade {owner}") from None
    return obj


@dataclass(frozen=True)
class ArchitectureSpec:
    """A model family: how to build its networks and which checkpoint ``zoo.load(family)`` uses."""

    name: str
    task: str
    generator: str
    default_config: Mapping[str, Any] = field(default_factory=dict, hash=False)
    discriminator: str | None = None
    tiny_config: Mapping[str, Any] = field(default_factory=dict, hash=False)
    recipes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    default_checkpoint: str | None = None
    paper: str = ""
    description: str = ""
    trainer: str | None = None
    """A click command ('package.module:command') that ``zoo train NAME`` hands its arguments to,
    for families the shared GAN trainer does not fit (e.g. style transfer); None = the shared trainer."""
    plugin: str = ""

    def __post_init__(self) -> None:
        check_name(self.name, "architecture")
        if self.task not in TASKS:
            raise ZooError(f"architecture {self.name!r}: task {self.task!r} is not one of {', '.join(TASKS)}")
        for builder in (self.generator, self.discriminator, self.trainer):
            if builder is not None and not (isinstance(builder, str) and _BUILDER.match(builder)):
                raise ZooError(
                    f"architecture {self.name!r}: builder {builder!r} must be a string 'package.module:Class'"
                )


@dataclass(frozen=True)
class CheckpointSpec:
    """A published set of weights: where it lives, how to verify it, and the config it needs."""

    name: str
    family: str
    config: Mapping[str, Any] = field(hash=False)
    dataset: str
    resolution: int
    license: str
    filename: str = "model.safetensors"
    sha256: str = ""
    size: int = 0
    repo_id: str | None = None
    revision: str | None = None
    dataset_sha256: str | None = None
    bundled: str | None = None
    card: str | None = None
    classes: tuple[str, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict, hash=False)
    bf16_accuracy: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """Measured bf16 error of these weights (``zoo.bf16_accuracy``); bf16 is their default path only with it."""
    train_command: str = ""
    step: int | None = None  # the training step of these weights (zoo push reads it from them)
    source: str = ""  # ported weights: where they came from; stands in for train_command and dataset_sha256
    unpublished: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        check_name(self.name, "checkpoint")
        if self.unpublished and (self.bundled or self.repo_id):
            raise ZooError(f"checkpoint {self.name!r}: an unpublished card cannot name bundled or Hub weights")
        if not self.filename.endswith(".safetensors") or self.filename.endswith(PICKLE_SUFFIXES):
            raise ZooError(
                f"checkpoint {self.name!r}: {self.filename!r} is not a .safetensors file; the zoo never loads pickles"
            )
        if "/" in self.filename or "\\" in self.filename or ".." in self.filename:
            raise ZooError(f"checkpoint {self.name!r}: filename {self.filename!r} must be a plain file name")
        if self.bf16_accuracy:
            from zoo.bf16_accuracy import record_problem

            problem = record_problem(self.bf16_accuracy)
            if problem:
                raise ZooError(f"checkpoint {self.name!r}: bf16_accuracy {problem}")
        if self.unpublished and not self.sha256:
            return
        if not isinstance(self.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise ZooError(f"checkpoint {self.name!r}: sha256 must be a quoted string of 64 lower-case hex digits")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str) -> CheckpointSpec:
        """Build a spec from card front matter, naming the source and any missing field."""
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        if not data.get("unpublished"):
            required += ["filename", "sha256", "size"]  # only a card without weights may leave them out
        missing = [name for name in required if name not in data]
        if missing:
            raise ZooError(f"{source}: missing field(s) {', '.join(missing)}: add them to the card's front matter")
        known = {f.name for f in fields(cls)} - {"plugin", "card", "bundled"}
        unknown = sorted(set(data) - known - {"card", "bundled"})
        if unknown:
            raise ZooError(
                f"{source}: unknown field(s) {', '.join(unknown)}; valid fields are {', '.join(sorted(known))}"
            )
        values = dict(data)
        values["classes"] = tuple(values.get("classes") or ())
        try:
            return cls(**values)
        except ZooError as exc:
            raise ZooError(f"{source}: {exc}") from None


def bundled_path(spec: CheckpointSpec) -> Path | None:
    """The weights file a plugin ships inside its package (``spec.bundled``, ``"package:relative/path"``), if any."""
    if not spec.bundled:
        return None
    package, _, relative = spec.bundled.partition(":")
    try:
        path = Path(str(resources.files(package).joinpath(relative)))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


@dataclass(frozen=True)
class ComponentSpec:
    """A named loss or metric: the builder string is imported only when it is used."""

    name: str
    builder: str
    description: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        check_name(self.name, "component")
        if not (isinstance(self.builder, str) and _BUILDER.match(self.builder)):
            raise ZooError(f"component {self.name!r}: builder {self.builder!r} must be a string 'package.module:Class'")
