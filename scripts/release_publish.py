"""Release, step 2: publish every first-party checkpoint to the Hub and pin the commit in its card.

Each checkpoint goes through ``zoo.push`` (a dry run writes the repo folder and runs push's card
checks), then one uploader puts the folder on the Hub: ``huggingface_hub`` for a real Hub (a token is
needed), or a commit into the loopback Hub's git mirrors (``zoo.hub.local``), which accepts no uploads.
The commit that comes back is written into the card's ``zoo.revision``, so ``zoo pull NAME`` fetches
exactly that revision and checks its sha256.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from release_build import ReleaseError

Uploader = Callable[[Path, str, list[str]], str]
"""(repo folder, repo id, files) -> the commit the files were published in."""

_ZOO_BLOCK = re.compile(r"^zoo:\s*$")
_FIELD = re.compile(r"^  (?P<key>[A-Za-z_][\w]*):")


@dataclass(frozen=True)
class Published:
    """One checkpoint after this step: where it went, at which commit (None in a dry run), or why it was skipped."""

    name: str
    repo_id: str
    commit: str | None
    note: str


def first_party_checkpoints(dist_names: set[str]) -> list:
    """The registered checkpoints with weights that the workspace's own distributions provide, by name."""
    from zoo.registry import get_registry

    registry = get_registry()
    specs = [s for s in registry.checkpoints.values() if s.plugin in dist_names and not s.unpublished]
    return sorted(specs, key=lambda spec: spec.name)


def pin_revision(card: Path, commit: str) -> None:
    """Set ``zoo.revision`` in a card's front matter to ``commit``, leaving every other line as it is."""
    from zoo.cards import split_card
    from zoo.files import write_atomically

    lines = card.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _ZOO_BLOCK.match(line)), None)
    if start is None:
        raise ReleaseError(f"{card}: no 'zoo:' block in the front matter")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "\n"))), len(lines))
    keys = {m["key"]: i for i in range(start + 1, end) if (m := _FIELD.match(lines[i]))}
    pinned = f"  revision: {commit}\n"
    if "revision" in keys:
        lines[keys["revision"]] = pinned
    elif "repo_id" in keys:
        lines.insert(keys["repo_id"] + 1, pinned)
    else:
        raise ReleaseError(f"{card}: the zoo block has no repo_id to publish to: add 'repo_id: ORG/NAME'")
    text = "".join(lines)
    meta, _ = split_card(text, str(card))
    if meta["zoo"].get("revision") != commit:
        raise ReleaseError(f"{card}: pinning the revision did not take; fix the card's front matter by hand")
    write_atomically(card, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def hub_uploader() -> Uploader:
    """Upload with ``huggingface_hub`` to HF_ENDPOINT (huggingface.co by default); HF_TOKEN must allow writes."""
    from zoo.hub.publish import upload

    return lambda folder, repo_id, files: upload(folder, repo_id, files, f"Publish {repo_id} (gan-zoo release)")


def local_hub_uploader(hub) -> Uploader:
    """Commit into a running loopback Hub (``zoo.hub.local.LocalHub``), for rehearsals and tests."""
    return lambda folder, repo_id, files: hub.publish(folder, repo_id)


def publish(
    specs: list,
    work: Path,
    uploader: Uploader | None,
    *,
    republish: bool = False,
    say: Callable[[str], None] = print,
) -> list[Published]:
    """Push each checkpoint (``uploader`` None = dry run: folders and checks only); return what happened to each."""
    import zoo
    from zoo.errors import ZooError

    results = []
    for spec in specs:
        if not spec.repo_id:
            raise ReleaseError(f"{spec.name}: its card names no repo_id: add 'repo_id: ORG/{spec.name}' to the card")
        if spec.revision and not republish:
            results.append(Published(spec.name, spec.repo_id, spec.revision, "already pinned; kept"))
            continue
        folder = work / spec.name
        try:
            pushed = zoo.push(spec.name, spec.repo_id, dry_run=True, out=folder, say=lambda _line: None)
        except ZooError as exc:
            raise ReleaseError(f"{spec.name}: {exc}") from None
        if pushed.problems:
            raise ReleaseError(f"{spec.name}: its card is not ready to publish: {'; '.join(pushed.problems)}")
        if uploader is None:
            size = sum((folder / name).stat().st_size for name in pushed.files)
            results.append(
                Published(spec.name, spec.repo_id, None, f"would publish {len(pushed.files)} files, {size:,} bytes")
            )
        else:
            commit = uploader(folder, spec.repo_id, pushed.files)
            results.append(Published(spec.name, spec.repo_id, commit, f"published {len(pushed.files)} files"))
        say(f"{spec.name:32} {spec.repo_id:40} {results[-1].note}")
    return results


def record(results: list[Published], cards: list[Path]) -> list[Path]:
    """Pin each published commit in every copy of the checkpoint's card among ``cards``; return the cards changed."""
    by_name: dict[str, list[Path]] = {}
    for card in cards:
        by_name.setdefault(card.stem, []).append(card)
    changed = []
    for result in results:
        if result.commit is None:
            continue
        copies = by_name.get(result.name, [])
        if not copies:
            raise ReleaseError(f"no card named {result.name}.md to record commit {result.commit} in")
        for card in copies:
            pin_revision(card, result.commit)
            changed.append(card)
    return changed
