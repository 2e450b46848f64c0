"""``zoo list``, ``zoo info``, ``zoo plugins``: read the registry, never import torch."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from zoo.errors import ZooError
from zoo.registry import Registry, get_registry, list_models
from zoo.specs import CheckpointSpec

COLUMNS = ("name", "kind", "family", "task", "resolution", "parameters", "plugin", "weights")


def weights_status(spec: CheckpointSpec) -> tuple[str, Path | None]:
    """('bundled' | 'cached' | 'remote' | 'unpublished', local path) for a checkpoint, loading nothing."""
    from zoo.hub.pull import local_weights
    from zoo.specs import bundled_path

    path = local_weights(spec)
    if path is None:
        return ("remote" if spec.repo_id and spec.revision else "unpublished"), None
    return ("bundled" if path == bundled_path(spec) else "cached"), path


def _human(count: int | None) -> str:
    """12345678 -> '12.3M'."""
    if count is None:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)


def _row(registry: Registry, name: str) -> dict[str, Any]:
    """One table row describing a family or a checkpoint."""
    from zoo.weights import count_parameters

    if name in registry.checkpoints:
        spec = registry.checkpoints[name]
        arch = registry.architectures[spec.family]
        status, path = weights_status(spec)
        return {
            "name": name,
            "kind": "checkpoint",
            "family": spec.family,
            "task": arch.task,
            "resolution": spec.resolution,
            "parameters": count_parameters(path) if path else None,
            "plugin": spec.plugin,
            "weights": status,
        }
    arch = registry.architectures[name]
    default = registry.checkpoints.get(arch.default_checkpoint or "")
    row = {
        "name": name,
        "kind": "family",
        "family": name,
        "task": arch.task,
        "resolution": arch.default_config.get("resolution"),
        "parameters": None,
        "plugin": arch.plugin,
        "weights": "none published",
    }
    if default is not None:
        default_row = _row(registry, default.name)
        row.update(parameters=default_row["parameters"], weights=f"{default_row['weights']} ({default.name})")
    return row


def _conflict_rows(registry: Registry, pattern: str) -> list[dict[str, Any]]:
    """A row per contested family or checkpoint name: withheld, with the distributions that both claim it."""
    rows = []
    for key, owners in sorted(registry.conflicts.items()):
        kind, name = key.split(" ", 1)
        if kind in ("family", "checkpoint") and fnmatch.fnmatchcase(name, pattern):
            row: dict[str, Any] = dict.fromkeys(COLUMNS)
            row.update(name=name, kind=kind, plugin=" + ".join(sorted(owners)), weights="withheld: registered twice")
            rows.append(row)
    return rows


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """Left-aligned plain-text table with a header."""
    cells = [[str(c).upper() for c in columns]]
    cells += [
        [_human(r[c]) if c == "parameters" else str(r[c] if r[c] is not None else "-") for c in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in cells)


@click.command("list")
@click.argument("pattern", default="*")
@click.option("--family", "-f", help="Only this family.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(pattern: str, family: str | None, as_json: bool) -> None:
    """List families and checkpoints, optionally filtered by a wildcard PATTERN (e.g. 'dcgan*')."""
    registry = get_registry()
    if family is not None:
        registry.architecture(family)
    rows = [_row(registry, name) for name in list_models(pattern, family=family)]
    rows += [] if family else _conflict_rows(registry, pattern)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        raise ZooError(f"no model matches {pattern!r}: run 'zoo list' to see them all")
    else:
        click.echo(_table(rows, COLUMNS))


def _describe(title: str, data: dict[str, Any]) -> list[str]:
    """Indented 'key: value' lines under a title, skipping empty values."""
    lines = [title]
    for key, value in data.items():
        if value in (None, "", {}, ()):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        lines.append(f"  {key.replace('_', ' ')}: {value}")
    return lines


def _local_data(path: Path) -> dict[str, Any]:
    """What a run directory or weights file holds: family, config, classes, step, and how the run was trained."""
    from zoo.files import read_json
    from zoo.training.settings import RUN_CONFIG
    from zoo.weights import read_classes, read_config, read_step, sha256_file

    family, config = read_config(path)
    data: dict[str, Any] = {"family": family, "config": config, "classes": read_classes(path), "step": read_step(path)}
    data |= {"sha256": sha256_file(path), "size": path.stat().st_size}
    record = read_json(path.parent / RUN_CONFIG) if (path.parent / RUN_CONFIG).is_file() else {}
    if not isinstance(record, dict):
        raise ZooError(f"{path.parent / RUN_CONFIG} is not a run record (a JSON object): fix or remove it")
    data |= {key: record[key] for key in ("data", "data_sha256", "command", "resumed") if record.get(key)}
    if isinstance(record.get("settings"), dict):
        unread = _keys_its_trainer_ignores(family)
        data["settings"] = {k: v for k, v in record["settings"].items() if k != "model" and k not in unread}
    return data


def _keys_its_trainer_ignores(family: str) -> tuple[str, ...]:
    """Settings only the other trainer reads (n_critic for a translator, l1_weight for a GAN): noise in zoo info."""
    from zoo.specs import IMAGE_TO_IMAGE
    from zoo.training.settings import LATENT_ONLY_KEYS, TRANSLATION_KEYS

    try:
        task = get_registry().architecture(family).task
    except ZooError:  # a family no installed plugin provides: show everything the run recorded
        return ()
    return LATENT_ONLY_KEYS if task == IMAGE_TO_IMAGE else TRANSLATION_KEYS


def _family_data(arch: Any) -> dict[str, Any]:
    data = asdict(arch)
    data.pop("tiny_config")
    return data


def _info_sections(name: str) -> tuple[list[tuple[str, str, dict[str, Any]]], str]:
    """(key, title, data) sections describing NAME, and its card's text (or "")."""
    from zoo.api import hub_model, local_model_path
    from zoo.cards import card_body
    from zoo.hub.names import HUB_PREFIX
    from zoo.weights import read_config

    registry = get_registry()
    path = None if name.startswith(HUB_PREFIX) else local_model_path(name)
    if path is not None:
        sections = [("weights", f"weights {path}", {"path": str(path), **_local_data(path)})]
        family = read_config(path)[0]
        if family in registry.architectures:
            sections.append(("family", f"family {family}", _family_data(registry.architecture(family))))
        return sections, ""
    if name.startswith(HUB_PREFIX):
        arch, checkpoint, _ = hub_model(name)
    else:
        arch, checkpoint = registry.resolve(name)
    sections = [("family", f"family {arch.name}", _family_data(arch))]
    if checkpoint is None:
        return sections, ""
    status, weights = weights_status(checkpoint)
    data = asdict(checkpoint)
    data["weights"] = f"{status}{f' at {weights}' if weights else ''}"
    title = f"checkpoint {checkpoint.name}" + (" (the family's default)" if name == arch.name else "")
    sections.append(("checkpoint", title, data))
    return sections, card_body(checkpoint) or ""


@click.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (the card's text under 'card').")
def info_command(name: str, as_json: bool) -> None:
    """Describe a family, a checkpoint, a run directory or a weights file: architecture, weights, card, training."""
    sections, body = _info_sections(name)
    if as_json:
        document = {key: data for key, _, data in sections} | ({"card": body} if body else {})
        click.echo(json.dumps(document, indent=2, default=str))
        return
    lines: list[str] = []
    for _, title, data in sections:
        lines += ([""] if lines else []) + _describe(title, {k: v for k, v in data.items() if k != "path"})
    if body:
        lines += ["", body]
    click.echo("\n".join(lines))


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """Installed plugins: distribution, version, hooks they implement, and load errors."""
    from zoo.hookspecs import PLUGIN_API

    infos = get_registry().plugins
    rows = [{**asdict(info), "api_ok": info.api in (None, PLUGIN_API)} for info in infos]
    for row in rows:
        row.pop("registered_as")
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table_rows = [
        {
            "name": r["name"],
            "distribution": r["distribution"],
            "version": r["version"],
            "hooks": ",".join(h.removeprefix("register_") for h in r["hooks"]) or "-",
            "status": "disabled (ZOO_LOAD_PLUGINS / ZOO_DISABLE_PLUGINS)"
            if r["disabled"]
            else "; ".join(r["errors"])
            or ("ok" if r["api_ok"] else f"built for plugin API {r['api']}, zoo has {PLUGIN_API}"),
        }
        for r in rows
    ]
    click.echo(_table(table_rows, ("name", "distribution", "version", "hooks", "status")))
