"""``nox -s release`` (scripts/release.py): every distribution built and checked, every checkpoint published.

The end-to-end tests run the release script itself: a dry run builds and checks every distribution
with its bundled weights; a rehearsal on the loopback Hub publishes every first-party checkpoint, pins
the commits in the staged cards, builds plugin wheels without weights, and a fresh environment with
those wheels pulls and runs each checkpoint by its pinned revision. Fresh environments borrow the
third-party packages of this one (``--layered``), so no test installs torch again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "release.py"
sys.path.insert(0, str(SCRIPT.parent))

from release_build import distributions  # noqa: E402
from release_publish import ReleaseError, pin_revision  # noqa: E402

COMMIT = re.compile(r"[0-9a-f]{40}")


def _release(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run scripts/release.py with its output in ``tmp_path/out``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_OFFLINE="0")
    command = [sys.executable, str(SCRIPT), "--out", str(tmp_path / "out"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


def _tree_digest(folder: Path) -> str:
    """One digest of every file under ``folder`` (names and bytes), to prove the release left it alone."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _first_party_checkpoints() -> dict[str, str]:
    """Published first-party checkpoints (name -> distribution) from this environment's registry."""
    from zoo.registry import get_registry

    names = {d.name for d in distributions()}
    return {n: s.plugin for n, s in get_registry().checkpoints.items() if s.plugin in names and not s.unpublished}


def test_the_release_covers_every_workspace_distribution_and_the_meta_package_needs_them_all() -> None:
    dists = distributions()
    plugins = {tomllib.loads(p.read_text())["project"]["name"] for p in (ROOT / "plugins").glob("*/pyproject.toml")}
    assert [d.name for d in dists][0] == "zoo-core" and dists[-1].name == "gan-zoo"
    assert {d.name for d in dists} == {"zoo-core", "gan-zoo", *plugins}
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert {re.split(r"[=<>!~ ]", req)[0] for req in meta} == {"zoo-core", *plugins}


def test_pin_revision_inserts_after_repo_id_then_replaces_and_changes_no_other_line(tmp_path: Path) -> None:
    card = tmp_path / "dcgan-cifar10-32.md"
    original = (ROOT / "cards" / "dcgan-cifar10-32.md").read_text(encoding="utf-8")
    card.write_text(original, encoding="utf-8")
    pin_revision(card, "a" * 40)
    pinned = card.read_text(encoding="utf-8").splitlines()
    repo_line = pinned.index("  repo_id: gan-zoo/dcgan-cifar10-32")
    assert pinned[repo_line + 1] == "  revision: " + "a" * 40
    assert pinned[: repo_line + 1] + pinned[repo_line + 2 :] == original.splitlines()
    pin_revision(card, "b" * 40)
    assert card.read_text(encoding="utf-8").count("revision: ") == 1 and "revision: " + "b" * 40 in card.read_text()


def test_pin_revision_refuses_a_card_without_repo_id_and_leaves_it_as_it_was(tmp_path: Path) -> None:
    card = tmp_path / "x.md"
    text = "---\nlicense: mit\nzoo:\n  name: x\n  family: dcgan\n---\nbody\n"
    card.write_text(text)
    with pytest.raises(ReleaseError, match="repo_id"):
        pin_revision(card, "c" * 40)
    assert card.read_text() == text


def test_write_cards_is_refused_with_a_rehearsal_or_a_dry_run(tmp_path: Path) -> None:
    for extra in (["--hub", "loopback"], ["--dry-run"]):
        result = _release(tmp_path, "--write-cards", *extra)
        assert result.returncode == 2, result.stderr
        assert "--write-cards" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_publishing_to_the_real_hub_without_a_token_is_one_line_and_publishes_nothing(tmp_path: Path) -> None:
    result = _release(tmp_path)
    assert result.returncode == 1
    assert "needs a token" in result.stderr and "HF_TOKEN" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "hub").exists()


@pytest.mark.slow
def test_dry_run_builds_and_checks_every_distribution_with_its_weights_and_publishes_nothing(tmp_path: Path) -> None:
    cards = _tree_digest(ROOT / "cards")
    result = _release(tmp_path, "--dry-run", "--layered")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "out" / "release.json").read_text())
    expected = _first_party_checkpoints()
    assert {n: c["revision"] for n, c in summary["checkpoints"].items()} == dict.fromkeys(expected)
    for dist in distributions():
        stem = dist.name.replace("-", "_") + "-0.1.0"
        assert {f"{stem}.tar.gz", f"{stem}-py3-none-any.whl"} <= set(summary["files"]), dist.name
        if dist.name != "zoo-core":  # the core registers no checkpoint of its own
            assert summary["checks"][dist.name]["listed"], dist.name
    for name, plugin in expected.items():
        wheel = tmp_path / "out" / "dist" / f"{plugin.replace('-', '_')}-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as archive:
            assert any(n.endswith(f"weights/{name}.safetensors") for n in archive.namelist()), (name, wheel.name)
    assert set(summary["checks"]["gan-zoo"]["ran"]) == set(expected)
    assert _tree_digest(ROOT / "cards") == cards


@pytest.mark.slow
def test_rehearsal_publishes_every_checkpoint_and_lean_wheels_pull_each_by_its_pinned_revision(
    tmp_path: Path,
) -> None:
    cards = _tree_digest(ROOT / "cards")
    result = _release(tmp_path, "--hub", "loopback", "--no-weights", "--layered")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "out" / "release.json").read_text())
    expected = _first_party_checkpoints()
    commits = {n: c["revision"] for n, c in summary["checkpoints"].items()}
    assert set(commits) == set(expected) and all(COMMIT.fullmatch(c) for c in commits.values()), commits
    for wheel in (tmp_path / "out" / "dist").glob("zoo_*.whl"):
        if wheel.name.startswith("zoo_core-"):
            continue  # the core keeps its feature extractors' weights; it registers no checkpoint
        with zipfile.ZipFile(wheel) as archive:
            carried = [n for n in archive.namelist() if n.endswith(".safetensors")]
        assert not carried, (wheel.name, carried)
    for name in expected:
        card = next((tmp_path / "out" / "stage" / "plugins").glob(f"*/src/*/cards/{name}.md"))
        assert f"  revision: {commits[name]}\n" in card.read_text(encoding="utf-8"), name
    ran = summary["checks"]["gan-zoo"]["ran"]
    assert set(ran) == set(expected)
    for name, outcome in ran.items():
        assert f"/snapshots/{commits[name]}/model.safetensors" in outcome["weights"], (name, outcome)
    assert _tree_digest(ROOT / "cards") == cards
