"""``zoo.push``: publish a run directory, weights file or checkpoint to the Hub with its card.

``zoo push`` parses its options and calls :func:`push`; the steps (plan, write the repo folder,
check the card, upload one commit, pin the card) live in ``zoo.hub.publish``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.boundary import public
from zoo.errors import ZooError
from zoo.files import require_regular_file

DTYPES = ("float32", "float16", "bfloat16")


@dataclass
class PushResult:
    """What a push wrote (and, unless a dry run, uploaded)."""

    name: str
    folder: Path
    files: list[str]
    problems: list[str] = field(default_factory=list)
    commit: str | None = None
    pinned_card: Path | None = None


def _metrics(metrics: str | os.PathLike[str] | Mapping[str, Any] | None, no_metrics: bool) -> Any:
    """The card's metrics: a JSON file (what zoo eval -o wrote), a mapping, 'not evaluated', or None."""
    from zoo.cards import NOT_EVALUATED

    if metrics is not None and no_metrics:
        raise ZooError("--metrics and --no-metrics contradict each other: pass one of them")
    if no_metrics:
        return NOT_EVALUATED
    if metrics is None or isinstance(metrics, Mapping):
        return metrics
    if not isinstance(metrics, (str, os.PathLike)):
        raise ZooError(f"metrics must be a JSON file path or a mapping, got {type(metrics).__name__}")
    require_regular_file(metrics, "--metrics")
    try:
        return json.loads(Path(metrics).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ZooError(f"--metrics {metrics} is not a readable JSON file ({exc.__class__.__name__})") from None


def check_upload_allowed() -> None:
    """Refuse a real push under HF_HUB_OFFLINE=1 before anything is written (huggingface_hub would refuse it later)."""
    from zoo.hub.transfer import hf_constants

    if hf_constants().HF_HUB_OFFLINE:
        raise ZooError(
            "zoo push uploads, and HF_HUB_OFFLINE=1 forbids it: unset HF_HUB_OFFLINE, "
            "or use --dry-run to only write the folder"
        )


def _new_folders(out: Path) -> list[Path]:
    """``out`` and those of its parents that do not exist yet, deepest first: what a failed push removes."""
    path = out.absolute()
    return [p for p in (path, *path.parents) if not p.exists()]


def _remove_created(created: list[Path]) -> None:
    """Remove the repo folder a failed push created (and the empty parents it made), so nothing is left behind."""
    from zoo.files import remove_empty

    if created:
        shutil.rmtree(created[0], ignore_errors=True)
        remove_empty(created[1:])


@public
def push(
    source: str | os.PathLike[str],
    repo_id: str,
    *,
    dry_run: bool = False,
    out: str | os.PathLike[str] | None = None,
    name: str | None = None,
    card: str | os.PathLike[str] | None = None,
    license: str | None = None,  # noqa: A002 - the card's field name
    dataset: str | None = None,
    train_command: str | None = None,
    metrics: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    no_metrics: bool = False,
    samples: str | os.PathLike[str] | None = None,
    dtype: str | None = None,
    say: Callable[[str], None] = print,
) -> PushResult:
    """Publish ``source`` to Hub repo ``repo_id`` (``dry_run``: only write the repo folder); see ``zoo push --help``."""
    from zoo.hub.publish import card_problems, pinned_card, plan_push, upload, write_folder

    if not isinstance(source, (str, os.PathLike)) or not str(source):
        raise ZooError(f"source must be a run directory, a .safetensors file or a checkpoint name, got {source!r}")
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise ZooError(f"repo must be a Hub repository ORG/NAME, got {repo_id!r}")
    if dtype is not None and dtype not in DTYPES:
        raise ZooError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if not dry_run:
        check_upload_allowed()
    source = str(source)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ZooError(f"--out {str(out)!r} is a file, not a folder for the repo layout: choose another --out")
    overrides = {
        "license": license,
        "dataset": dataset,
        "train_command": train_command,
        "metrics": _metrics(metrics, no_metrics),
    }
    plan = plan_push(
        source,
        repo_id,
        name=name,
        card=Path(card) if card is not None else None,
        samples=Path(samples) if samples is not None else None,
        overrides=overrides,
    )
    plan.dtype = dtype
    for note in plan.notes:
        say(note)
    if out is None:
        out = Path(source) / "hub" if Path(source).is_dir() else Path(f"{plan.name}-hub")
    out = Path(out)
    created = _new_folders(out)
    try:
        files = write_folder(plan, out)
        problems = card_problems(out)
        for problem in problems:
            say(f"card: {problem}")
        result = PushResult(plan.name, out, files, problems)
        if dry_run:
            say(f"wrote {', '.join(files)} to {out} (dry run: nothing uploaded)")
            return result
        if problems:
            raise ZooError(
                f"the card of {plan.name} has {len(problems)} problem(s), listed above: "
                f"fix them, or write the folder {out} with --dry-run to inspect it"
            )
        result.commit = upload(out, repo_id, files, f"Upload {plan.name} with gan-zoo")
    except BaseException:  # a failed push (or Ctrl-C) leaves no folder it made behind
        _remove_created(created)
        raise
    result.pinned_card = pinned_card(out, repo_id, result.commit)
    say(f"pushed {plan.name} to {repo_id} at commit {result.commit}")
    say(f"card pinned to that commit: {result.pinned_card} (copy it into cards/ to register the checkpoint)")
    return result
