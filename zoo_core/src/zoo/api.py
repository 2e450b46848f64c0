"""The Python API: ``zoo.load``, ``zoo.build``. torch is imported only when a model is built."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.boundary import public
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.specs import ArchitectureSpec, CheckpointSpec, import_object
from zoo.weights import META_TRAINING_STATE, read_config, read_header

if TYPE_CHECKING:
    import torch

    from zoo.model import ModelHandle

WEIGHTS_FILENAME = "model.safetensors"


SIZE_FACTOR = 64
"""An integer config value may be at most this many times the family's default (or 1,024): a width of
10**12 from a hostile weights header is refused instead of allocating petabytes."""


def _merged_config(arch: ArchitectureSpec, overrides: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """The family's default config updated with ``overrides``, each value checked against the default's type.

    Unknown keys list the valid ones. ``source`` names where the values came from (a weights file).
    """
    where = f"{source}: " if source else ""
    unknown = sorted(set(overrides) - set(arch.default_config))
    if unknown:
        valid = ", ".join(sorted(arch.default_config))
        raise ZooError(f"{where}{arch.name} has no config key(s) {', '.join(unknown)}: valid keys are {valid}")
    for key, value in overrides.items():
        problem = _config_value_problem(arch.default_config[key], value)
        if problem:
            raise ZooError(f"{where}{arch.name} config {key}={value!r}: {problem}")
    return {**arch.default_config, **overrides}


def _config_value_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot stand where the family's default is ``default`` (None when it can)."""
    if default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be True or False"
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be an integer"
        low, high = (0 if default == 0 else 1), max(SIZE_FACTOR * default, 1024)
        return None if low <= value <= high else f"must be between {low} and {high:,} (the default is {default})"
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else "must be a finite number"
    if isinstance(default, str):
        return None if isinstance(value, str) else "must be a string"
    if isinstance(default, (list, tuple)):
        return None if isinstance(value, (list, tuple)) else "must be a list"
    return None


def _construct(builder: str, config: Mapping[str, Any], what: str, plugin: str = "") -> Any:
    """Call a builder string with the config, turning bad values into a ZooError."""
    factory = import_object(builder, plugin)
    try:
        return factory(**config)
    except (TypeError, ValueError) as exc:
        raise ZooError(f"cannot build {what} with config {dict(config)}: {exc}") from None


@public
def build(family: str, *, with_discriminator: bool = True, **config: Any) -> ModelHandle:
    """A freshly initialised model of ``family`` (default config updated with ``config``)."""
    from zoo import arguments
    from zoo.model import UNTRAINED, ModelHandle

    arch = get_registry().architecture(arguments.text(family, "family", "dcgan"))
    arguments.flag(with_discriminator, "with_discriminator")
    merged = _merged_config(arch, config)
    generator = _construct(arch.generator, merged, f"{family} generator", arch.plugin)
    discriminator = None
    if with_discriminator and arch.discriminator:
        import inspect

        accepted = inspect.signature(import_object(arch.discriminator, arch.plugin)).parameters
        d_config = {k: v for k, v in merged.items() if k in accepted}
        discriminator = _construct(arch.discriminator, d_config, f"{family} discriminator", arch.plugin)
    return ModelHandle(generator, arch, merged, discriminator=discriminator, source=UNTRAINED)


def _weights_for(spec: CheckpointSpec, download: bool | None = None) -> Path:
    """The verified weights file of a registered checkpoint (pulled on demand), or a ZooError saying how to get it."""
    from zoo.hub.pull import checkpoint_weights

    return checkpoint_weights(spec, download_allowed=download)


def hub_model(name: str, download: bool | None = None) -> tuple[ArchitectureSpec, CheckpointSpec, Path]:
    """Architecture, spec and verified weights of ``hf-hub:ORG/REPO[@REV]`` (pulled if needed)."""
    from zoo.hub.names import HubRef, parse_model_name
    from zoo.hub.pull import hub_checkpoint

    ref = parse_model_name(name)
    assert isinstance(ref, HubRef)
    spec, path = hub_checkpoint(ref, download_allowed=download)
    registry = get_registry()
    if spec.family not in registry.architectures:
        raise ZooError(f"{name} needs the model family {spec.family!r}, which no installed plugin provides: install it")
    return registry.architecture(spec.family), spec, path


def _load_hub(name: str, pretrained: bool, download: bool | None) -> ModelHandle:
    """Load ``hf-hub:ORG/REPO[@REV]``: any Hub repo in the zoo layout whose family is installed."""
    arch, spec, path = hub_model(name, download)
    if not pretrained:
        return build(arch.name, with_discriminator=False, **spec.config).eval()
    return _load_from_file(path, arch, spec.config, spec)


def _load_from_file(path: Path, arch: ArchitectureSpec, config: Mapping[str, Any], checkpoint: CheckpointSpec | None):
    """Build the generator for ``config`` and fill it from the safetensors file at ``path``."""
    from zoo.model import ModelHandle
    from zoo.weights import apply_state, load_tensors, read_classes

    config = _merged_config(arch, config, str(path))  # the file's config is outside input: same checks as build()
    generator = _construct(arch.generator, config, f"{arch.name} generator")
    apply_state(generator, load_tensors(path), str(path))
    generator.eval().requires_grad_(False)
    classes = read_classes(path)
    if len(classes) != generator.num_classes:
        classes = ()  # names that do not cover the model's classes would mislabel them
    return ModelHandle(generator, arch, config, checkpoint=checkpoint, source=str(path), classes=classes)


def local_model_path(name: str) -> Path | None:
    """Interpret ``name`` as a run directory or a .safetensors file, if it looks like one.

    A bare name ('myrun', as ``zoo train --out myrun`` prints) is a directory only when no model
    of that name is registered: registered names always win.
    """
    registry = get_registry()
    bare_path = _exists(name) and name not in registry.checkpoints and name not in registry.architectures
    if name.endswith(".safetensors") or os.sep in name or name.startswith(".") or bare_path:
        path = Path(name)
        if path.is_dir():
            path = path / WEIGHTS_FILENAME
        if not _exists(path):
            raise ZooError(f"{_short(name)!r} is not a model name and {_short(str(path))} does not exist")
        _check_weights_file(path)
        return path
    return None


def _exists(path: str | Path) -> bool:
    """Path.exists that says False for names the OS refuses to look up (too long, invalid bytes)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def _short(text: str) -> str:
    return text if len(text) <= 80 else f"{text[:40]}…{text[-20:]}"


def _check_weights_file(path: Path) -> None:
    """Refuse files that are not a model's weights with what to pass instead, before any tensor is read."""
    if path.suffix != ".safetensors":
        try:
            read_header(path)
        except ZooError:  # only a file named .safetensors deserves the 'corrupted, pull it again' advice
            raise ZooError(
                f"{path} is not a weights file: zoo.load takes a registered name ('zoo list'), a Hub name "
                f"(hf-hub:ORG/REPO), a run directory or a .safetensors weights file"
            ) from None
    header = read_header(path)
    if META_TRAINING_STATE in (header.get("__metadata__") or {}):
        raise ZooError(
            f"{path} is a training checkpoint (generator, discriminator and optimiser state): "
            f"pass the run directory or its {WEIGHTS_FILENAME}"
        )


@public
def load(
    name: str | os.PathLike[str],
    *,
    pretrained: bool = True,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    download: bool | None = None,
) -> ModelHandle:
    """A ready model (eval mode): a family's default checkpoint, a named checkpoint, ``hf-hub:ORG/REPO[@REV]``
    or a run/file path. Weights not on this machine are pulled unless ``download=False`` or ZOO_NO_DOWNLOAD=1."""
    from zoo import arguments
    from zoo.hub.names import HUB_PREFIX

    name = arguments.model_name(name)
    arguments.flag(pretrained, "pretrained")
    if download is not None:
        arguments.flag(download, "download")
    registry = get_registry()
    path = None if name.startswith(HUB_PREFIX) else local_model_path(name)
    if name.startswith(HUB_PREFIX):
        handle = _load_hub(name, pretrained, download)
    elif path is not None:
        family, config = read_config(path)
        if family is None:
            raise ZooError(f"{path} carries no zoo metadata (zoo.family): export it with the zoo")
        handle = _load_from_file(path, registry.architecture(family), config, None)
    else:
        arch, checkpoint = registry.resolve(name)
        if not pretrained:
            config = checkpoint.config if checkpoint is not None and name == checkpoint.name else {}
            handle = build(arch.name, with_discriminator=False, **config).eval()
        elif checkpoint is None:
            raise ZooError(f"{name} has no published checkpoint yet: use zoo.load({name!r}, pretrained=False)")
        else:
            handle = _load_from_file(_weights_for(checkpoint, download), arch, checkpoint.config, checkpoint)
    if device is not None or dtype is not None:
        handle.to(device, dtype)
    return handle
