"""``nox -s release``: build and check every distribution, publish every first-party checkpoint, pin the commits.

    nox -s release -- --dry-run                      build + check everything; list what would be published
    nox -s release -- --hub loopback --no-weights    rehearse on a loopback Hub: publish, pin, lean wheels, pull
    nox -s release -- --write-cards                  the real thing (HF_TOKEN with write access to the org)

Steps: stage a copy of the workspace (release_build) → publish each checkpoint with ``zoo push``'s checks
and pin its commit in the staged cards (release_publish; ``--write-cards`` also in the repository's
cards/) → build every sdist and wheel from the stage (``--no-weights``: plugin wheels without bundled
weights, which then pull each checkpoint by its pinned commit) → ``twine check`` → install each wheel
alone into a fresh virtual environment, list its checkpoints and run one; install them all together and
run every checkpoint (release_check). A summary goes to OUT/release.json.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

from release_build import (  # noqa: E402
    ROOT,
    ReleaseError,
    build,
    distributions,
    drop_weights,
    stage,
    twine_check,
    wheel_for,
    wheel_weights,
)
from release_check import check_wheel, dependency_layer  # noqa: E402
from release_publish import first_party_checkpoints, hub_uploader, local_hub_uploader, publish, record  # noqa: E402


def _sha256(path: Path) -> str:
    """Hex sha256 of a built file, for the summary."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def _hub(kind: str, dry_run: bool) -> Iterator[tuple[object | None, dict[str, str]]]:
    """(uploader, environment for the fresh installs) of the chosen Hub; no uploader in a dry run."""
    if kind == "loopback":
        from zoo.hub.local import local_hub

        with local_hub() as hub:
            yield (None if dry_run else local_hub_uploader(hub)), {"HF_ENDPOINT": hub.url}
        return
    if not dry_run:
        from huggingface_hub import get_token
        from zoo.hub.transfer import endpoint

        if not get_token():
            raise ReleaseError(
                f"publishing to {endpoint()} needs a token with write access: set HF_TOKEN, "
                f"or rehearse with --hub loopback, or look first with --dry-run"
            )
    yield (None if dry_run else hub_uploader()), {}


def _staged_cards(staged: Path) -> list[Path]:
    """The card files the staged plugins ship (their cards/ links resolved into files)."""
    return sorted((staged / "plugins").glob("*/src/*/cards/*.md"))


def _release(out: Path, hub_kind: str, dry_run: bool, lean: bool, write_cards: bool, layered: bool, say) -> dict:
    """Every step in order; returns the summary written to release.json."""
    dists = distributions()
    names = {d.name for d in dists}
    specs = first_party_checkpoints(names)
    out.mkdir(parents=True, exist_ok=True)
    staged = stage(out / "stage")
    for stale in (out / "dist", out / "hub"):
        shutil.rmtree(stale, ignore_errors=True)
    summary: dict = {"dry_run": dry_run, "hub": hub_kind, "lean": lean, "checkpoints": {}, "files": {}, "checks": {}}
    with _hub(hub_kind, dry_run) as (uploader, hub_env), tempfile.TemporaryDirectory(prefix="zoo-release-") as tmp:
        say(f"publishing {len(specs)} checkpoints" + (" (dry run: nothing uploaded)" if dry_run else ""))
        results = publish(specs, out / "hub", uploader, say=say)
        record(results, _staged_cards(staged))
        if write_cards:
            record(results, sorted((ROOT / "cards").glob("*.md")))
        summary["checkpoints"] = {r.name: {"repo_id": r.repo_id, "revision": r.commit, "note": r.note} for r in results}
        if lean:
            unpinned = [r.name for r in results if r.commit is None]
            if unpinned:
                raise ReleaseError(
                    f"--no-weights needs every checkpoint pinned to a published commit; not pinned: "
                    f"{', '.join(unpinned)} (a dry run publishes nothing)"
                )
            say(f"lean wheels: dropped {len(drop_weights(staged))} bundled weights files")
        files = build(staged, out / "dist")
        say(f"built {len(files)} files into {out / 'dist'}")
        twine_check(files)
        summary["files"] = {f.name: _sha256(f) for f in files}
        summary["checks"] = _check_installs(dists, files, specs, Path(tmp), layered, lean, hub_env, say)
    return summary


def _check_installs(dists, files, specs, tmp: Path, layered: bool, lean: bool, hub_env, say) -> dict:
    """Each wheel alone in a fresh environment, then all together; the checkpoints each lists and runs."""
    from zoo.registry import get_registry

    registry = get_registry()
    listed = {n: s.plugin for n, s in registry.checkpoints.items() if s.plugin in {d.name for d in dists}}
    runnable = sorted(s.name for s in specs)
    layer = dependency_layer(tmp / "layer", {d.name for d in dists}) if layered else None
    constraints = ROOT / "constraints.txt"
    core = next(d for d in dists if d.name == "zoo-core")
    meta = dists[-1]
    env = {"HF_HOME": str(tmp / "hf-home"), **hub_env}
    env.update({"HF_HUB_OFFLINE": "0"} if lean else {"HF_HUB_OFFLINE": "1", "ZOO_NO_DOWNLOAD": "1"})
    checks = {}
    for dist in dists:
        if dist is meta:
            wheels = [wheel_for(d, files) for d in dists]
            expected, run = listed, runnable
        else:
            wheels = [wheel_for(core, files)] + ([wheel_for(dist, files)] if dist is not core else [])
            expected = {n: p for n, p in listed.items() if p == dist.name}
            run = [n for n in runnable if listed.get(n) == dist.name][:1]
        carried = wheel_weights(wheels[-1]) if lean and dist not in (core, meta) else []
        if carried:
            raise ReleaseError(f"the lean wheel of {dist.name} still carries {carried}")
        result = check_wheel(dist, wheels, expected, run, tmp / f"venv-{dist.name}", layer=layer,
                             constraints=constraints, env=env)  # fmt: skip
        checks[dist.name] = {"listed": sorted(result["checkpoints"]), "ran": result["ran"]}
        say(
            f"fresh install of {dist.name}: lists {len(result['checkpoints'])} checkpoints, ran {', '.join(run) or '-'}"
        )
    return checks


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "dist",
    show_default=True,
    help="Where the stage, the repo folders, the built files and release.json go.",
)
@click.option(
    "--dry-run", is_flag=True, help="Build and check everything; list what would be published; upload nothing."
)
@click.option(
    "--hub",
    "hub_kind",
    type=click.Choice(["hf", "loopback"]),
    default="hf",
    show_default=True,
    help="hf: HF_ENDPOINT (huggingface.co), needs HF_TOKEN; loopback: a rehearsal on a local olah Hub.",
)
@click.option("--no-weights", "lean", is_flag=True, help="Plugin wheels without bundled weights (pulled by revision).")
@click.option("--write-cards", is_flag=True, help="Also pin the published commits in the repository's cards/.")
@click.option(
    "--layered",
    is_flag=True,
    help="Fresh environments borrow third-party packages from this one (fast; the tests use it).",
)
def main(out: Path, dry_run: bool, hub_kind: str, lean: bool, write_cards: bool, layered: bool) -> None:
    """Build, check and publish every gan-zoo distribution and checkpoint (see the module docstring)."""
    if write_cards and (dry_run or hub_kind == "loopback"):
        raise click.UsageError("--write-cards pins real Hub commits: it cannot go with --dry-run or --hub loopback")
    try:
        summary = _release(out.resolve(), hub_kind, dry_run, lean, write_cards, layered, click.echo)
    except ReleaseError as exc:
        raise click.ClickException(str(exc)) from None
    (out / "release.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    click.echo(f"release {'checked (dry run)' if dry_run else 'done'}: {out / 'release.json'}")


if __name__ == "__main__":
    main()
