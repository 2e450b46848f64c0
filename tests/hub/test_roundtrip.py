"""Publish with 'zoo push', serve with olah, pull and load: the tensors come back bit for bit.

Loading imports torch, which is slow on a busy CPU, so each test loads in one subprocess only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hubkit import LOAD_OR_ERROR, ORG, HubServer, Zoo

COMPARE = """
import sys, torch, zoo
from safetensors.torch import load_file
names, source = sys.argv[1].split(","), sys.argv[2]
expected = load_file(source)
for name in names:
    handle = zoo.load(name)
    got = handle.generator.state_dict()
    assert set(expected) == set(got), sorted(set(expected) ^ set(got))
    assert all(torch.equal(expected[k], got[k]) for k in expected), name
    spec = handle.checkpoint
    print("IDENTICAL", spec.name, spec.repo_id, spec.revision)
"""


def compare(zoo: Zoo, names: list[str], source: Path, env: dict[str, str] | None = None) -> list[str]:
    """Load ``names`` in one fresh process, check every tensor equals ``source``; return the report lines."""
    result = zoo.python(COMPARE, ",".join(names), str(source), env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()


def test_push_dry_run_writes_the_hub_layout(zoo_env: Zoo, runs: dict[str, Path]) -> None:
    out = zoo_env.cwd / "folder"
    result = zoo_env.run(
        "push", str(runs["tiny"]), "--repo", f"{ORG}/tiny", "--dry-run", "--out", str(out), "--license", "mit"
    )
    assert result.returncode == 0, result.stderr
    assert f"to {out}" in result.stdout and "nothing uploaded" in result.stdout and "card:" not in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    assert json.loads((out / "config.json").read_text())["family"] == "dcgan"
    card = (out / "README.md").read_text()
    assert "sha256:" in card and "size:" in card and "![samples](samples.png)" in card and "revision" not in card
    check = zoo_env.run("cards", "check", str(out / "README.md"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_push_dtype_float16_casts_the_weights_and_keeps_the_metadata(zoo_env: Zoo, runs: dict[str, Path]) -> None:
    from zoo.weights import load_tensors, read_config

    out = zoo_env.cwd / "half"
    args = ["push", str(runs["tiny"]), "--repo", f"{ORG}/half", "--dry-run", "--out", str(out), "--license", "mit"]
    result = zoo_env.run(*args, "--dtype", "float16")
    assert result.returncode == 0, result.stderr
    original, half = load_tensors(runs["tiny"] / "model.safetensors"), load_tensors(out / "model.safetensors")
    assert half.keys() == original.keys()
    for key, value in original.items():
        expected = value.half() if value.is_floating_point() else value
        assert half[key].dtype == expected.dtype and half[key].equal(expected), key
    assert read_config(out / "model.safetensors") == read_config(runs["tiny"] / "model.safetensors")
    assert zoo_env.run("cards", "check", str(out / "README.md")).returncode == 0


def test_round_trip_by_registered_name(zoo_env: Zoo, hub_server: HubServer, pushed: dict[str, Path], runs) -> None:
    repo = f"{ORG}/roundtrip"
    commit = hub_server.publish(pushed["tiny"], repo)
    name = zoo_env.register(pushed["tiny"], repo, commit)

    listed = zoo_env.run("list", name, "--json")
    assert json.loads(listed.stdout)[0]["weights"] == "remote", listed.stderr
    refused = zoo_env.python(LOAD_OR_ERROR, name, "env", env={"ZOO_NO_DOWNLOAD": "1"})
    assert "downloads are off" in refused.stdout and f"zoo pull {name}" in refused.stdout, (
        refused.stdout + refused.stderr
    )

    pulled = zoo_env.run("pull", name)
    assert pulled.returncode == 0, pulled.stderr
    assert "sha256 verified" in pulled.stdout and commit in pulled.stdout
    # A second checkpoint of the same repo is not pulled first: zoo.load pulls it on demand.
    on_demand = zoo_env.register(pushed["tiny"], repo, commit, {"name": "dcgan-on-demand"})
    lines = compare(zoo_env, [name, on_demand], runs["tiny"] / "model.safetensors")
    assert lines == [f"IDENTICAL {name} {repo} {commit}", f"IDENTICAL {on_demand} {repo} {commit}"]

    listed = zoo_env.run("cache", "list", "--json")
    (row,) = json.loads(listed.stdout)
    assert row["repo"] == repo and row["revisions"] == [commit] and row["size"] > 0
    removed = zoo_env.run("cache", "rm", name)
    assert removed.returncode == 0 and "removed" in removed.stdout, removed.stderr
    assert zoo_env.blobs(repo) == []


def test_hub_name_from_another_organisation(zoo_env: Zoo, hub_server: HubServer, pushed: dict[str, Path], runs) -> None:
    repo = "someone-else/My-DCGAN"
    commit = hub_server.publish(pushed["tiny"], repo)
    # Pulled on demand by zoo.load, and pinned: the card's repo_id is replaced by where it really came from.
    lines = compare(zoo_env, [f"hf-hub:{repo}", f"hf-hub:{repo}@{commit}"], runs["tiny"] / "model.safetensors")
    assert lines == [f"IDENTICAL dcgan-tiny {repo} {commit}"] * 2
    # A new commit on main: zoo.load keeps the cached one, 'zoo pull' moves to the new one.
    newer = hub_server.publish(None, repo, {"notes.txt": "second commit"})
    pulled = zoo_env.run("pull", f"hf-hub:{repo}")
    assert pulled.returncode == 0 and f"commit {newer}" in pulled.stdout, pulled.stderr
    pinned = zoo_env.run("pull", f"hf-hub:{repo}", "--revision", commit)
    assert pinned.returncode == 0 and f"commit {commit}" in pinned.stdout, pinned.stderr
    info = zoo_env.run("info", f"hf-hub:{repo}@{commit}")  # it said 'unknown model' while sample worked
    assert info.returncode == 0 and "family dcgan" in info.stdout and commit in info.stdout, info.stderr


TIMM_CLIENT = """
import sys, timm, torch
from timm.models import save_for_hf
folder, repo_id = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
model = timm.create_model("test_resnet", pretrained=False, num_classes=7)
save_for_hf(model, folder, safe_serialization=True)
print("SAVED", flush=True)
sys.stdin.readline()  # the test publishes the folder on the server meanwhile
loaded = timm.create_model(f"hf-hub:{repo_id}", pretrained=True)
expected = model.state_dict()
assert all(torch.equal(value, expected[key]) for key, value in loaded.state_dict().items())
print("TIMM OK", loaded.num_classes, flush=True)
"""


def test_timm_loads_hf_hub_weights_from_the_same_server(zoo_env: Zoo, hub_server: HubServer, tmp_path: Path) -> None:
    pytest.importorskip("timm")
    folder, repo = tmp_path / "timm-folder", f"{ORG}/test-resnet"
    client = subprocess.Popen(
        [sys.executable, "-c", TIMM_CLIENT, str(folder), repo],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=zoo_env.env,
    )  # fmt: skip
    try:
        assert client.stdout is not None and client.stdin is not None
        assert client.stdout.readline().strip() == "SAVED", client.stderr.read() if client.stderr else ""
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]  # no pickle
        hub_server.publish(folder, repo)
        stdout, stderr = client.communicate("go\n", timeout=180)
    finally:
        client.kill()
    assert client.returncode == 0, stderr
    assert stdout.strip() == "TIMM OK 7"
