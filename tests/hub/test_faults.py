"""What goes wrong between the Hub and the cache, each against the real olah server."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from hubkit import LOAD_OR_ERROR, ORG, HubServer, Zoo, free_port


def snapshot_files(zoo: Zoo, repo_id: str) -> list[str]:
    """Names of the files in every cached snapshot of ``repo_id``."""
    folder = zoo.repos / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    return sorted(p.name for p in folder.glob("*/*")) if folder.is_dir() else []


def size_of(path: Path) -> int:
    """Size of a file that another process may be renaming or deleting right now (0 if gone)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def flip_last_byte(data: bytes) -> bytes:
    """Same size, different sha256, still a parseable safetensors header."""
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def test_a_served_file_unlike_its_card_is_refused_on_every_load(
    zoo_env: Zoo, hub_server: HubServer, pushed, clean_error
) -> None:
    repo = f"{ORG}/tampered-upstream"
    good = (pushed["tiny"] / "model.safetensors").read_bytes()
    commit = hub_server.publish(pushed["tiny"], repo, {"model.safetensors": flip_last_byte(good)})
    name = zoo_env.register(pushed["tiny"], repo, commit)

    clean_error(zoo_env.run("pull", name), "does not match the file the Hub serves", "file was replaced or truncated")
    # The file is what the server holds at that commit, so it stays cached, but no load ever trusts it:
    result = zoo_env.python(LOAD_OR_ERROR, name, "off", env={"HF_HUB_OFFLINE": "1"})
    assert "ZOOERROR" in result.stdout and "does not match" in result.stdout, result.stdout + result.stderr
    # The repo's own card carries the good sha256 too, so the hf-hub: form refuses it the same way.
    clean_error(zoo_env.run("pull", f"hf-hub:{repo}"), "does not match the file the Hub serves")


def test_a_wrong_card_does_not_take_the_file_from_a_right_one(
    zoo_env: Zoo, hub_server: HubServer, pushed, clean_error
) -> None:
    repo = f"{ORG}/shared-file"
    commit = hub_server.publish(pushed["tiny"], repo)
    right = zoo_env.register(pushed["tiny"], repo, commit)
    assert zoo_env.run("pull", right).returncode == 0
    wrong = zoo_env.register(pushed["tiny"], repo, commit, {"name": "dcgan-tiny-wrong", "sha256": "0" * 64})
    clean_error(zoo_env.run("pull", wrong), "does not match the file the Hub serves", "nothing loaded it")
    result = zoo_env.python(LOAD_OR_ERROR, right, "off", env={"HF_HUB_OFFLINE": "1"})
    assert "LOADED" in result.stdout, result.stdout + result.stderr  # the right card still loads, offline


def test_tampered_cache_is_refused_and_removed(zoo_env: Zoo, hub_server: HubServer, pushed) -> None:
    repo = f"{ORG}/tampered-cache"
    name = zoo_env.register(pushed["tiny"], repo, hub_server.publish(pushed["tiny"], repo))
    assert zoo_env.run("pull", name).returncode == 0
    (blob,) = zoo_env.blobs(repo)
    blob.write_bytes(flip_last_byte(blob.read_bytes()))

    result = zoo_env.python(LOAD_OR_ERROR, name, "off")
    assert result.stdout.startswith("ZOOERROR the weights of"), result.stdout + result.stderr
    assert "failed verification" in result.stdout and "removed" in result.stdout
    assert zoo_env.blobs(repo) == [] and snapshot_files(zoo_env, repo) == []
    again = zoo_env.run("pull", name)
    assert again.returncode == 0 and "sha256 verified" in again.stdout, again.stderr


def test_cached_models_load_when_the_server_is_unreachable(
    zoo_env: Zoo, hub_server: HubServer, pushed, clean_error
) -> None:
    repo, other = f"{ORG}/offline", f"{ORG}/offline-by-hub-name"
    name = zoo_env.register(pushed["tiny"], repo, hub_server.publish(pushed["tiny"], repo))
    hub_server.publish(pushed["tiny"], other)
    assert zoo_env.run("pull", name).returncode == 0
    assert zoo_env.run("pull", f"hf-hub:{other}").returncode == 0

    gone = {"HF_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    result = zoo_env.python(LOAD_OR_ERROR, f"{name},hf-hub:{other}", "on", env={**gone, "HF_HUB_OFFLINE": "1"})
    assert result.stdout.count("LOADED") == 2, result.stdout + result.stderr

    clean_error(
        zoo_env.run("pull", f"hf-hub:{ORG}/never-pulled", env=gone), "cannot reach the Hub", gone["HF_ENDPOINT"]
    )
    clean_error(zoo_env.run("pull", f"hf-hub:{ORG}/never-pulled", env={"HF_HUB_OFFLINE": "1"}), "HF_HUB_OFFLINE=1")


def test_download_killed_midway_then_pulled_again(zoo_env: Zoo, hub_server: HubServer, pushed, stalling_proxy) -> None:
    repo = f"{ORG}/killed"
    name = zoo_env.register(pushed["big"], repo, hub_server.publish(pushed["big"], repo))
    proxy = stalling_proxy(11 * 1024 * 1024)  # past huggingface_hub's first 10 MB chunk, short of the 14 MB file
    process = zoo_env.popen("pull", name, env={"HF_ENDPOINT": f"http://127.0.0.1:{proxy.port}"})
    deadline = time.monotonic() + 90
    partial: list[Path] = []
    while time.monotonic() < deadline and process.poll() is None:
        partial = [p for p in zoo_env.blobs(repo) if p.name.endswith(".incomplete") and size_of(p) > 0]
        if proxy.stalled.is_set() and partial:
            break
        time.sleep(0.1)
    stalled_midway = process.poll() is None and bool(partial)
    process.kill()
    process.communicate()
    assert stalled_midway, "the download did not stall with a partial file on disk"

    assert all(p.name.endswith(".incomplete") for p in zoo_env.blobs(repo))
    assert snapshot_files(zoo_env, repo) == []
    result = zoo_env.python(LOAD_OR_ERROR, name, "off")
    assert "ZOOERROR" in result.stdout and "not on this machine" in result.stdout, result.stdout + result.stderr

    again = zoo_env.run("pull", name)
    assert again.returncode == 0 and "sha256 verified" in again.stdout, again.stderr
    complete = [p for p in zoo_env.blobs(repo) if not p.name.endswith(".incomplete")]
    assert len(complete) == 1 and complete[0].stat().st_size == (pushed["big"] / "model.safetensors").stat().st_size


def test_concurrent_pulls_share_one_file(zoo_env: Zoo, hub_server: HubServer, pushed) -> None:
    repo = f"{ORG}/concurrent"
    name = zoo_env.register(pushed["tiny"], repo, hub_server.publish(pushed["tiny"], repo))
    processes = [zoo_env.popen("pull", name) for _ in range(8)]
    try:
        outputs = [process.communicate(timeout=180) for process in processes]
    finally:
        for process in processes:
            process.kill()
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        assert "sha256 verified" in stdout
    (blob,) = zoo_env.blobs(repo)
    assert blob.stat().st_size == (pushed["tiny"] / "model.safetensors").stat().st_size
    assert snapshot_files(zoo_env, repo) == ["model.safetensors"]


@pytest.mark.parametrize(
    ("target", "fragments"),
    [
        ("hf-hub:{org}/no-such-repo", ["Hub repository", "no-such-repo", "was not found"]),
        ("hf-hub:{repo}@no-such-branch", ["revision 'no-such-branch' was not found", "main"]),
        ("hf-hub:{repo}@" + "0123456789" * 4, ["revision '0123456789", "was not found"]),
        ("{name}", ["has no file missing.safetensors"]),
    ],
    ids=["repo", "branch", "commit", "file"],
)
def test_not_found_is_one_clear_line(
    zoo_env: Zoo, hub_server: HubServer, pushed, clean_error, target, fragments, request
) -> None:
    repo = f"{ORG}/not-found-{request.node.callspec.id}"
    commit = hub_server.publish(pushed["tiny"], repo)
    name = zoo_env.register(pushed["tiny"], repo, commit, {"filename": "missing.safetensors"})
    started = time.monotonic()
    clean_error(zoo_env.run("pull", target.format(org=ORG, repo=repo, name=name)), *fragments)
    assert time.monotonic() - started < 20, "errors must not wait through retry back-off"


def test_card_pointing_at_a_pickle_is_refused(zoo_env: Zoo, hub_server: HubServer, pushed, clean_error) -> None:
    repo = f"{ORG}/pickled"
    card = (
        (pushed["tiny"] / "README.md").read_text().replace("filename: model.safetensors", "filename: pytorch_model.bin")
    )
    hub_server.publish(
        pushed["tiny"],
        repo,
        {"README.md": card, "pytorch_model.bin": b"\x80\x04pickle payload", "model.safetensors": None},
    )
    clean_error(zoo_env.run("pull", f"hf-hub:{repo}"), "pytorch_model.bin", "never loads pickles")
    assert "pytorch_model.bin" not in snapshot_files(zoo_env, repo)
    clean_error(zoo_env.run("pull", f"hf-hub:{repo}"), "never loads pickles")


def test_disk_full_leaves_the_cache_consistent(zoo_env: Zoo, hub_server: HubServer, pushed, clean_error) -> None:
    repo = f"{ORG}/disk-full"
    name = zoo_env.register(pushed["tiny"], repo, hub_server.publish(pushed["tiny"], repo))
    limit = 8 * 1024  # room for the card and config.json, not for the 21 kB of weights
    assert (pushed["tiny"] / "model.safetensors").stat().st_size > limit > (pushed["tiny"] / "README.md").stat().st_size

    def small_disk() -> None:
        # Writes past the limit fail (EFBIG) inside huggingface_hub's own download: a full disk, without root.
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    clean_error(zoo_env.run("pull", name, preexec_fn=small_disk), "not enough disk space", "HF_HOME")
    assert zoo_env.blobs(repo) == [] and snapshot_files(zoo_env, repo) == []
    clean_error(zoo_env.run("pull", f"hf-hub:{repo}", preexec_fn=small_disk), "not enough disk space")
    assert "model.safetensors" not in snapshot_files(zoo_env, repo)
    assert not [p for p in zoo_env.blobs(repo) if p.name.endswith(".incomplete")]
    again = zoo_env.run("pull", name)
    assert again.returncode == 0 and "sha256 verified" in again.stdout, again.stderr


def test_unpublished_checkpoint_says_how_to_train_it(zoo_env: Zoo, pushed, clean_error) -> None:
    name = zoo_env.register(pushed["tiny"], None, None)
    line = clean_error(zoo_env.run("pull", name), f"no weights are published for {name} yet", "zoo train dcgan")
    result = zoo_env.python(LOAD_OR_ERROR, name, "on")
    assert result.stdout.strip() == f"ZOOERROR {line.removeprefix('Error: ')}", result.stdout + result.stderr


def test_card_pinned_to_a_branch_is_refused(zoo_env: Zoo, hub_server: HubServer, pushed, clean_error) -> None:
    repo = f"{ORG}/branch-pinned"
    hub_server.publish(pushed["tiny"], repo)
    name = zoo_env.register(pushed["tiny"], repo, "main")
    clean_error(zoo_env.run("pull", name), "pins revision 'main'", "40-character commit")


def test_push_refuses_an_incomplete_card_and_reports_upload_errors(zoo_env: Zoo, runs, tmp_path, clean_error) -> None:
    incomplete = clean_error(
        zoo_env.run("push", str(runs["tiny"]), "--repo", f"{ORG}/upload", "--out", str(tmp_path / "a"))
    )
    assert "license" in incomplete or "problem" in incomplete
    out = tmp_path / "b"
    result = zoo_env.run("push", str(runs["tiny"]), "--repo", f"{ORG}/upload", "--out", str(out), "--license", "mit")
    clean_error(result, f"{ORG}/upload", "does not accept uploads")
    assert not out.exists()  # a failed upload removes the folder the push created: nothing is left behind
