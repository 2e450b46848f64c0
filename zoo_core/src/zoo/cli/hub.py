"""``zoo pull``, ``zoo push``, ``zoo cache``, ``zoo cards``: the Hub distribution commands.

huggingface_hub is imported inside the commands, so ``zoo list`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from zoo.cli.options import hub_progress_bars_off, quiet_option
from zoo.errors import ZooError


def _human_size(size: int) -> str:
    """2141336 -> '2.1 MB'."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _progress_only_on_terminal() -> None:
    """Keep huggingface_hub's progress bars for people; logs and pipes get one summary line (as with --quiet)."""
    if not sys.stderr.isatty():
        click.get_current_context().with_resource(hub_progress_bars_off())


@click.command("pull")
@click.argument("name")
@click.option("--revision", help="Branch, tag or commit of the Hub repo (default: the card's pinned commit).")
@click.option("--force", is_flag=True, help="Download again even if the file is cached.")
@quiet_option
def pull_command(name: str, revision: str | None, force: bool, quiet: bool) -> None:
    """Download NAME's weights into the Hugging Face cache and verify their sha256.

    NAME is a checkpoint from 'zoo list' or hf-hub:ORG/REPO[@REVISION] for any Hub repo in the
    zoo layout. HF_ENDPOINT, HF_HOME, HF_TOKEN and HF_HUB_OFFLINE apply as in huggingface_hub.
    """
    from zoo.hub.names import HubRef, check_revision, parse_model_name
    from zoo.hub.pull import hub_checkpoint, not_published, pull_checkpoint, verify
    from zoo.registry import get_registry
    from zoo.specs import bundled_path

    target = parse_model_name(name)
    if revision is not None:
        check_revision(revision)
    _progress_only_on_terminal()
    if isinstance(target, str):
        _, spec = get_registry().resolve(target)
        if spec is None:
            raise ZooError(f"{name} has no checkpoint to pull: train one, or use zoo.load({name!r}, pretrained=False)")
        if revision is None and bundled_path(spec) is not None:
            path = verify(bundled_path(spec), spec, spec.name)  # type: ignore[arg-type]
            click.echo(f"{spec.name} is bundled with {spec.plugin} (sha256 verified): nothing to download; {path}")
            return
        if revision is None:
            path = pull_checkpoint(spec, force=force)
            click.echo(
                f"{spec.name}: {_human_size(spec.size)}, sha256 verified, from {spec.repo_id}@{spec.revision}: {path}"
            )
            return
        if not spec.repo_id:
            raise not_published(spec)
        target = HubRef(spec.repo_id, revision)
    elif revision is not None:
        if target.revision not in (None, revision):
            raise ZooError(f"{name} already names revision {target.revision!r}: drop --revision or the '@'")
        target = HubRef(target.repo_id, revision)
    spec, path = hub_checkpoint(target, download_allowed=True, force=force, refresh=True)
    click.echo(f"{target}: {spec.name}, {_human_size(spec.size)}, sha256 verified, commit {spec.revision}: {path}")
    click.echo(f"load it with zoo.load({str(target)!r})")


@click.command("push")
@click.argument("source")
@click.option("--repo", "repo_id", required=True, help="Hub repository ORG/NAME (created if missing).")
@click.option("--dry-run", is_flag=True, help="Write the repo folder only; upload nothing.")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Folder for the repo layout (default: RUN/hub or ./NAME-hub)."
)
@click.option("--name", help="Checkpoint name in the card (default: the repo's NAME, lower-cased).")
@click.option(
    "--card", type=click.Path(path_type=Path, dir_okay=False), help="Existing card to start from (cards/NAME.md)."
)
@click.option("--license", "license_", help="Licence of the weights (e.g. mit, cc-by-4.0).")
@click.option("--dataset", help="Dataset description (default: the run's train_config.json).")
@click.option("--train-command", help="The exact command that trained the weights.")
@click.option(
    "--metrics",
    type=click.Path(path_type=Path, dir_okay=False),
    help="What zoo eval -o FILE wrote, or JSON {protocol: ..., fid: ...} (default: RUN/metrics.json).",
)
@click.option(
    "--no-metrics",
    is_flag=True,
    help="Publish without metrics, on purpose: the card says 'not evaluated' (instead of refusing).",
)
@click.option(
    "--samples",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Sample grid PNG (default: the run's grid of the step its weights were saved at).",
)
@click.option(
    "--dtype",
    type=click.Choice(["float32", "float16", "bfloat16"]),
    help="Cast the floating-point weights before publishing (default: keep them as they are).",
)
@quiet_option
def push_command(
    source: str,
    repo_id: str,
    dry_run: bool,
    out: Path | None,
    name: str | None,
    card: Path | None,
    license_: str | None,
    dataset: str | None,
    train_command: str | None,
    metrics: Path | None,
    no_metrics: bool,
    samples: Path | None,
    dtype: str | None,
    quiet: bool,
) -> None:
    """Publish SOURCE (a run directory, a .safetensors file or a checkpoint name) to the Hub.

    Writes model.safetensors, config.json, README.md (the card, with sha256 and size) and the
    sample grid, then uploads them in one commit with huggingface_hub.
    """
    from zoo.hub.job import push

    push(
        source, repo_id, dry_run=dry_run, out=out, name=name, card=card, license=license_, dataset=dataset,
        train_command=train_command, metrics=metrics, no_metrics=no_metrics, samples=samples, dtype=dtype,
        say=click.echo,
    )  # fmt: skip


def _zoo_repos() -> list[dict[str, Any]]:
    """Cached Hub repos that are zoo checkpoints (named by a card, or holding a zoo card)."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    from zoo.registry import get_registry

    names = {spec.repo_id: spec.name for spec in get_registry().checkpoints.values() if spec.repo_id}
    try:
        info = scan_cache_dir()
    except CacheNotFound:
        return []
    rows = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        files = {f.file_name: f.file_path for rev in repo.revisions for f in rev.files}
        card = files.get("README.md")
        is_zoo = repo.repo_id in names or (
            card is not None and "\nzoo:" in card.read_text(encoding="utf-8", errors="replace")
        )
        if is_zoo:
            rows.append(
                {
                    "name": names.get(repo.repo_id, f"hf-hub:{repo.repo_id}"),
                    "repo": repo.repo_id,
                    "revisions": sorted(rev.commit_hash for rev in repo.revisions),
                    "size": repo.size_on_disk,
                    "path": str(repo.repo_path),
                    "_repo": repo,
                }
            )
    return rows


@click.group("cache", invoke_without_command=True)
@click.pass_context
def cache_group(ctx: click.Context) -> None:
    """List or remove pulled checkpoints (the shared Hugging Face cache)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(cache_list)


@cache_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cache_list(as_json: bool) -> None:
    """List pulled checkpoints with their size on disk."""
    from zoo.hub.transfer import hub_cache

    rows = [{k: v for k, v in row.items() if not k.startswith("_")} for row in _zoo_repos()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no pulled checkpoints in {hub_cache()}")
        return
    from zoo.cli.listing import _table

    table = [
        {**row, "revisions": ",".join(r[:8] for r in row["revisions"]), "size": _human_size(row["size"])}
        for row in rows
    ]
    click.echo(_table(table, ("name", "repo", "revisions", "size", "path")))
    click.echo(f"total {_human_size(sum(row['size'] for row in rows))} in {hub_cache()} (see also 'hf cache ls')")


@cache_group.command("rm")
@click.argument("name")
def cache_rm(name: str) -> None:
    """Remove a pulled checkpoint (NAME or hf-hub:ORG/REPO[@COMMIT]) from the cache."""
    from huggingface_hub import scan_cache_dir

    from zoo.hub.names import HubRef, parse_model_name
    from zoo.registry import get_registry

    target = parse_model_name(name)
    if isinstance(target, HubRef):
        repo_id, revision = target.repo_id, target.revision
    else:
        _, spec = get_registry().resolve(target)
        if spec is None or not spec.repo_id:
            raise ZooError(f"{name} has no Hub repo, so nothing of it is cached: see 'zoo cache list'")
        repo_id, revision = spec.repo_id, None
    repo = next((row["_repo"] for row in _zoo_repos() if row["repo"] == repo_id), None)
    if repo is None:
        raise ZooError(f"{name} is not in the Hub cache: see 'zoo cache list'")
    hashes = [rev.commit_hash for rev in repo.revisions if revision in (None, rev.commit_hash) or revision in rev.refs]
    if not hashes:
        raise ZooError(
            f"revision {revision!r} of {repo_id} is not cached; "
            f"cached: {', '.join(r.commit_hash[:12] for r in repo.revisions)}"
        )
    strategy = scan_cache_dir().delete_revisions(*hashes)
    strategy.execute()
    click.echo(f"removed {repo_id} ({len(hashes)} revision(s), {strategy.expected_freed_size_str}) from the cache")


@click.group("cards")
def cards_group() -> None:
    """Check model cards before publishing."""


@cards_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--draft", is_flag=True, help="Skip what exists only once published (repo, revision, metrics, sample grid)."
)
def cards_check(paths: tuple[Path, ...], draft: bool) -> None:
    """Validate card files (default: every registered checkpoint's card and bundled weights).

    The card of a checkpoint whose weights ship inside its plugin needs no Hub commit (zoo.revision).
    """
    from zoo.cards import validate_card
    from zoo.hub.pull import verify
    from zoo.registry import get_registry
    from zoo.specs import bundled_path

    registry = get_registry()
    bundled = {
        Path(spec.card).resolve()
        for spec in registry.checkpoints.values()
        if spec.card and bundled_path(spec) is not None
    }
    cards: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if not path.exists():
            raise ZooError(f"{path} does not exist")
        cards += sorted(path.glob("*.md")) if path.is_dir() else [path]
    if not paths:
        for spec in registry.checkpoints.values():
            if spec.card:
                cards.append(Path(spec.card))
            weights = bundled_path(spec)
            if weights is not None:
                try:
                    verify(weights, spec, spec.name)
                except ZooError as exc:
                    problems.append(f"{spec.card}: zoo.sha256: {exc}")
    for card in cards:
        problems += validate_card(card, draft=draft, registry=registry, bundled=card.resolve() in bundled)
    if not cards:
        where = ", ".join(map(str, paths)) or "the installed plugins"
        raise ZooError(f"no model cards (*.md) found in {where}: give card files or a folder that holds them")
    for problem in problems:
        click.echo(problem)
    if problems:
        raise ZooError(f"{len(problems)} problem(s) in {len(cards)} card(s), listed above: fix the fields they name")
    click.echo(f"{len(cards)} card(s) ok")


HUB_COMMANDS = (pull_command, push_command, cache_group, cards_group)
