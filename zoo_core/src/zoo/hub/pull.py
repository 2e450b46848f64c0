"""Pulling from the Hub: checkpoints and ``hf-hub:`` repos to pinned, verified files in the shared cache.

Weights are verified against the card (sha256, size) before they are returned, and nothing downloaded
is ever unpickled; a bad cached copy is evicted. Writing and uploading a repo: ``zoo.hub.publish``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zoo.errors import ZooError
from zoo.hub.errors import hub_error, unknown_revision
from zoo.hub.names import CARD_FILENAME, COMMIT, CONFIG_FILENAME, LIBRARY_NAME, WEIGHTS_FILENAME, HubRef
from zoo.hub.transfer import bounded_transfer, endpoint, hf_constants, hub_cache, hub_timeout, remove_partial_downloads
from zoo.specs import PICKLE_SUFFIXES, CheckpointSpec, bundled_path
from zoo.version import __version__
from zoo.weights import file_digest, sha256_file


def downloads_allowed(download: bool | None) -> bool:
    """``download`` when given, otherwise true unless ZOO_NO_DOWNLOAD=1."""
    if download is not None:
        return download
    return os.environ.get("ZOO_NO_DOWNLOAD", "").strip().lower() not in ("1", "true", "yes")


def published(spec: CheckpointSpec) -> bool:
    """True when the card names a Hub repo and a revision to download from."""
    return bool(spec.repo_id and spec.revision)


def not_published(spec: CheckpointSpec) -> ZooError:
    """The error for a checkpoint whose card points at no uploaded weights yet."""
    if spec.unpublished:
        return ZooError(f"no weights for {spec.name} are published yet: {spec.unpublished}")
    how = f"train them with '{spec.train_command}'" if spec.train_command else "train them with the family's trainer"
    return ZooError(
        f"no weights are published for {spec.name} yet (its card has no Hub repo_id and revision): "
        f"{how} and load the run directory, or use zoo.load({spec.name!r}, pretrained=False)"
    )


def resolve(repo_id: str, revision: str | None) -> tuple[str, frozenset[str]]:
    """The commit ``revision`` points at and the files it holds: one fast request, before any download."""
    from huggingface_hub import HfApi

    try:
        info = HfApi().model_info(repo_id, revision=revision or "main", timeout=hub_timeout())
    except Exception as exc:  # noqa: BLE001 - translated below; unknown errors re-raised
        error = (unknown_revision(exc, repo_id, revision) if revision else None) or hub_error(exc, repo_id, revision)
        if error is None:
            raise
        raise error from None
    return str(info.sha), frozenset(sibling.rfilename for sibling in info.siblings or ())


def download(repo_id: str, filename: str, revision: str | None, *, force: bool = False) -> Path:
    """``hf_hub_download`` into the shared cache, with its errors turned into one-line ZooErrors."""
    from huggingface_hub import hf_hub_download

    try:
        with bounded_transfer() as timeout:
            path = hf_hub_download(
                repo_id,
                filename,
                revision=revision,
                force_download=force,
                etag_timeout=timeout,
                library_name=LIBRARY_NAME,
                library_version=__version__,
            )
    except Exception as exc:  # noqa: BLE001 - translated below; unknown errors re-raised
        remove_partial_downloads(repo_id, hub_cache())  # a later pull starts afresh; nothing half-written stays
        error = hub_error(exc, repo_id, revision, filename)
        if error is None:
            raise
        raise error from None
    return Path(path)


def fetch_file(
    repo_id: str,
    filename: str,
    revision: str | None,
    *,
    missing: Callable[[frozenset[str]], str],
    refused: str | None = None,
    force: bool = False,
) -> Path:
    """One Hub file: from the cache; else one metadata request, then the download (one-line errors throughout).

    The metadata request fails at once on a dead server, where ``hf_hub_download`` alone retries for ~30 s
    with a warning per try, and it lists the repo's files, so a missing one is ``missing(files)``, not a 404.
    ``refused`` is the error to raise instead of downloading (downloads switched off).
    """
    cached = None if force else cached_file(repo_id, filename, revision)
    if cached is not None:
        return cached
    if refused is not None:
        raise ZooError(refused)
    if not hf_constants().HF_HUB_OFFLINE:
        _, files = resolve(repo_id, revision)
        if filename not in files:
            raise ZooError(missing(files))
    return download(repo_id, filename, revision, force=force)


def cached_file(repo_id: str, filename: str, revision: str | None) -> Path | None:
    """A file already in the Hub cache at ``revision`` (None = main), without touching the network."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, filename, revision=revision)
    return Path(found) if isinstance(found, str) else None


def in_hub_cache(path: Path) -> bool:
    """Whether ``path`` is a snapshot entry of the shared Hub cache (so the zoo may delete it)."""
    cache = hub_cache().resolve()
    return cache in Path(os.path.abspath(path)).parents or cache in Path(os.path.realpath(path)).parents


def evict(path: Path) -> None:
    """Delete a cached file, its snapshot link and its blob, so nothing can load it and a pull starts afresh."""
    if not in_hub_cache(path):
        return
    blob = Path(os.path.realpath(path))
    for target in (path, blob):
        try:
            target.unlink()
        except FileNotFoundError:
            pass


def _matches_its_address(blob: Path, sha256: str | None) -> bool:
    """Whether a cached blob holds what the server said: its name is the file's sha256 (LFS) or git blob sha1."""
    import hashlib

    if blob.name == sha256:
        return True
    if not COMMIT.fullmatch(blob.name):
        return False
    git_blob = hashlib.sha1(f"blob {blob.stat().st_size}\0".encode(), usedforsecurity=False)
    return file_digest(blob, git_blob) == blob.name


def verify_file(path: Path, sha256: str, size: int | None, label: str, *, downloaded: bool = False) -> Path:
    """Return ``path`` if its size (None: any) and sha256 match the card; a bad cached copy is deleted, never loaded.

    ``downloaded``: the file arrived just now, so a copy that fails the Hub's own checksum is the server's
    (or a proxy's) fault, and the message says so instead of blaming the cache.
    """
    try:
        actual_size = path.stat().st_size
    except FileNotFoundError:
        raise ZooError(
            f"the weights of {label} vanished from {path} while in use: run 'zoo pull {label}' again"
        ) from None
    size = actual_size if size is None else size
    cached = in_hub_cache(path)
    actual = sha256_file(path) if actual_size == size or cached else None
    if actual == sha256 and actual_size == size:
        return path
    if actual_size != size:
        detail = f"{actual_size} bytes, the card says {size}"
    else:
        detail = f"sha256 {actual[:12]}…, the card says {sha256[:12]}…"
    if cached and _matches_its_address(Path(os.path.realpath(path)), actual):
        # The bytes match the address the server gave them, so this is the file the repository holds at that
        # revision; whether the upload or the card is wrong cannot be told from here. Nothing loads it, and it
        # stays cached only because another card may pin this very file.
        raise ZooError(
            f"the card of {label} does not match the file the Hub serves ({detail}), so nothing loaded it: either "
            f"the repository's file was replaced or truncated, or the card's sha256/size is wrong; check both"
        )
    if cached and downloaded:
        evict(path)
        raise ZooError(
            f"{endpoint()} sent the weights of {label} damaged ({detail}; they fail the Hub's own checksum too), "
            f"so they were removed from the Hub cache: run 'zoo pull {label}' again; if it repeats, the server "
            f"or a proxy on the way is corrupting the file"
        )
    if cached:
        evict(path)
        raise ZooError(
            f"the weights of {label} failed verification ({detail}) and were removed from the Hub cache: "
            f"run 'zoo pull {label}' again; if it repeats, the repo or the card is wrong"
        )
    raise ZooError(
        f"{path} does not match the card of {label} ({detail}): the file is corrupted or was modified; reinstall it"
    )


def verify(path: Path, spec: CheckpointSpec, label: str, *, downloaded: bool = False) -> Path:
    """``verify_file`` against a checkpoint spec."""
    return verify_file(path, spec.sha256, spec.size, label, downloaded=downloaded)


def _pinned(spec: CheckpointSpec) -> str:
    """The card's revision, which must be a commit so the sha256 always refers to the same file."""
    assert spec.revision is not None
    if not COMMIT.fullmatch(spec.revision):
        raise ZooError(
            f"the card of {spec.name} pins revision {spec.revision!r}, a branch or tag that can move: "
            f"pin the 40-character commit (see 'zoo cards check')"
        )
    return spec.revision


def pull_checkpoint(spec: CheckpointSpec, *, force: bool = False) -> Path:
    """Download a registered checkpoint at its card's commit into the Hub cache and verify it."""
    if not published(spec):
        raise not_published(spec)
    assert spec.repo_id is not None
    revision = _pinned(spec)
    downloaded = force or cached_file(spec.repo_id, spec.filename, revision) is None
    path = fetch_file(
        spec.repo_id,
        spec.filename,
        revision,
        force=force,
        missing=lambda files: (
            f"{spec.repo_id}@{revision[:12]} has no file {spec.filename}: the card of {spec.name} is wrong"
        ),
    )
    return verify(path, spec, spec.name, downloaded=downloaded)


def local_weights(spec: CheckpointSpec) -> Path | None:
    """Where the checkpoint's weights already are on this machine (bundled or in the Hub cache), unverified."""
    path = bundled_path(spec)
    if path is not None:
        return path
    if spec.repo_id and spec.revision:
        return cached_file(spec.repo_id, spec.filename, spec.revision)
    return None


def checkpoint_weights(spec: CheckpointSpec, *, download_allowed: bool | None = None) -> Path:
    """Verified weights of a registered checkpoint: bundled, already pulled, or pulled now if allowed."""
    path = local_weights(spec)
    if path is not None:
        return verify(path, spec, spec.name)
    if not published(spec):
        raise not_published(spec)
    if not downloads_allowed(download_allowed):
        raise ZooError(
            f"the weights of {spec.name} are not on this machine and downloads are off "
            f"(download=False or ZOO_NO_DOWNLOAD=1): run 'zoo pull {spec.name}'"
        )
    return pull_checkpoint(spec)


def _card_block(card: Path, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(front matter, zoo block) of a downloaded card."""
    from zoo.cards import read_card

    meta, _ = read_card(card, f"{label} README.md")
    block = meta.get("zoo")
    if not isinstance(block, dict):
        raise ZooError(
            f"{label}: its README.md has no zoo block, so it is not a gan-zoo repo: publish it with 'zoo push'"
        )
    return meta, dict(block)


def _expected(block: dict[str, Any], label: str) -> tuple[str, str, int]:
    """(filename, sha256, size) a repo card promises; pickles are refused before anything is downloaded."""
    filename = block.get("filename") or WEIGHTS_FILENAME
    if (
        not isinstance(filename, str)
        or filename.lower().endswith(PICKLE_SUFFIXES)
        or not filename.endswith(".safetensors")
    ):
        raise ZooError(
            f"{label}: its card points at {filename!r}, not a .safetensors file; the zoo never loads pickles"
        )
    if "/" in filename or "\\" in filename or ".." in filename:
        raise ZooError(f"{label}: its card's filename {filename!r} must be a plain file name")
    sha256, size = block.get("sha256"), block.get("size")
    if not (isinstance(sha256, str) and re.fullmatch(r"[0-9a-f]{64}", sha256)) or not isinstance(size, int):
        raise ZooError(
            f"{label}: its card has no valid zoo.sha256 and zoo.size, so the weights cannot be verified: "
            f"republish it with 'zoo push'"
        )
    return filename, sha256, size


def _architecture(config: Path | None, weights: Path, label: str) -> tuple[str | None, dict[str, Any] | None]:
    """(family, config) from config.json, else from the safetensors metadata; both must agree."""
    from zoo.weights import read_config

    meta_family, meta_config = read_config(weights)
    if config is None:
        return meta_family, (meta_config if meta_family else None)
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ZooError(f"{label}: config.json is not valid JSON: fix the repo") from None
    family, arch_config = data.get("family"), data.get("config")
    if family is None:
        return meta_family, (meta_config if meta_family else None)
    if meta_family is not None and (meta_family, meta_config) != (family, arch_config):
        raise ZooError(f"{label}: config.json and the metadata of the weights describe different models: fix the repo")
    return family, arch_config


def hub_spec(ref: HubRef, commit: str, card: Path, config: Path | None, weights: Path) -> CheckpointSpec:
    """The spec of a Hub repo: its card's zoo block, family and config from config.json or the weights."""
    label = str(ref)
    meta, block = _card_block(card, label)
    family, arch_config = _architecture(config, weights, label)
    for key, value in (("family", family), ("config", arch_config)):
        if value is None:
            continue
        if block.get(key) not in (None, value):
            raise ZooError(
                f"{label}: the card says {key} {block[key]!r} but the repo's files say {value!r}: fix the repo"
            )
        block[key] = value
    if isinstance(block.get("config"), dict):
        block.setdefault("resolution", block["config"].get("resolution"))
    block.setdefault("license", meta.get("license"))
    block.setdefault("filename", WEIGHTS_FILENAME)
    block.setdefault("name", ref.repo_id.split("/")[1].lower())
    block.update(repo_id=ref.repo_id, revision=commit, card=str(card))
    block.pop("bundled", None)
    return CheckpointSpec.from_mapping({k: v for k, v in block.items() if v is not None}, f"{label} README.md")


def _cached_hub(ref: HubRef) -> tuple[CheckpointSpec, Path] | None:
    """An hf-hub repo already pulled at ``ref.revision`` (main when None), found without the network."""
    card = cached_file(ref.repo_id, CARD_FILENAME, ref.revision)
    if card is None:
        return None
    commit, label = card.parent.name, str(ref)
    filename, sha256, size = _expected(_card_block(card, label)[1], label)
    weights = cached_file(ref.repo_id, filename, commit)
    if weights is None:
        return None
    verify_file(weights, sha256, size, label)
    return hub_spec(ref, commit, card, cached_file(ref.repo_id, CONFIG_FILENAME, commit), weights), weights


def hub_checkpoint(
    ref: HubRef, *, download_allowed: bool | None = None, force: bool = False, refresh: bool = False
) -> tuple[CheckpointSpec, Path]:
    """Spec and verified weights of an ``hf-hub:`` repo: from the cache, or downloaded at one pinned commit.

    ``refresh`` (what 'zoo pull' does): ask the Hub where a branch points now instead of using the cached one.
    """
    label = str(ref)
    moving = not COMMIT.fullmatch(ref.revision or "") and not hf_constants().HF_HUB_OFFLINE
    found = None if force or (refresh and moving) else _cached_hub(ref)
    if found is not None:
        return found
    if not downloads_allowed(download_allowed):
        raise ZooError(
            f"{label} is not in the local Hub cache and downloads are off (download=False or ZOO_NO_DOWNLOAD=1): "
            f"run 'zoo pull {label}'"
        )
    files: frozenset[str] | None = None
    if not hf_constants().HF_HUB_OFFLINE:
        _, files = resolve(ref.repo_id, ref.revision)
        if CARD_FILENAME not in files:
            raise ZooError(
                f"{label} is not in the zoo layout (no README.md card): "
                f"it needs model.safetensors, config.json and README.md"
            )
    # The card first, by revision name, so the cache records the branch; the rest at the commit it resolved to.
    card = download(ref.repo_id, CARD_FILENAME, ref.revision, force=force)
    commit = card.parent.name
    filename, sha256, size = _expected(_card_block(card, label)[1], label)
    if files is not None and filename not in files:
        raise ZooError(f"{ref.repo_id}@{commit[:12]} has no file {filename}: the repo is incomplete")
    config = None
    if files is None:
        config = cached_file(ref.repo_id, CONFIG_FILENAME, commit)
    elif CONFIG_FILENAME in files:
        config = download(ref.repo_id, CONFIG_FILENAME, commit, force=force)
    downloaded = force or cached_file(ref.repo_id, filename, commit) is None
    weights = verify_file(
        download(ref.repo_id, filename, commit, force=force), sha256, size, label, downloaded=downloaded
    )
    return hub_spec(ref, commit, card, config, weights), weights
