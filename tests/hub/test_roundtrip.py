"""Publish with 'zoo push', serve with olah, pull and load: the tensors come back bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ORG, HubServer, Zoo

COMPARE = """
import sys, torch, zoo
from safetensors.torch import load_file
name, source = sys.argv[1], sys.argv[2]
download = {"on": True, "off": False}[sys.argv[3]]
handle = zoo.load(name, download=download)
expected, got = load_file(source), handle.generator.state_dict()
assert set(expected) == set(got), sorted(set(expected) ^ set(got))
assert all(torch.equal(expected[k], got[k]) for k in expected)
spec = handle.checkpoint
print("IDENTICAL", spec.name, spec.repo_id, spec.revision)
"""


def compare(zoo: Zoo, name: str, source: Path, download: str = "off", env: dict[str, str] | None = None) -> str:
    """Load ``name`` in a fresh process and check every tensor equals ``source``; return its report line."""
    result = zoo.python(COMPARE, name, str(source), download, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_push_dry_run_writes_the_hub_layout(zoo_env: Zoo, runs: dict[str, Path]) -> None:
    out = zoo_env.cwd / "folder"
    result = zoo_env.run("push", str(runs["tiny"]), "--repo", f"{ORG}/tiny", "--dry-run", "--out", str(out), "--license", "mit")
    assert result.returncode == 0, result.stderr
    assert f"to {out}" in result.stdout and "nothing uploaded" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.safetensors", "samples.png"]
    assert json.loads((out / "config.json").read_text())["family"] == "dcgan"
    card = (out / "README.md").read_text()
    assert "sha256:" in card and "size:" in card and "![samples](samples.png)" in card and "revision" not in card
    check = zoo_env.run("cards", "check", str(out / "README.md"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_round_trip_by_registered_name(zoo_env: Zoo, hub_server: HubServer, pushed: dict[str, Path], runs, clean_error) -> None:
    repo = f"{ORG}/roundtrip"
    commit = hub_server.publish(pushed["tiny"], repo)
    name = zoo_env.register(pushed["tiny"], repo, commit)

    listed = zoo_env.run("list", name, "--json")
    assert json.loads(listed.stdout)[0]["weights"] == "remote", listed.stderr
    clean_error(zoo_env.run("sample", name, "-o", "x.png", env={"ZOO_NO_DOWNLOAD": "1"}), "downloads are off", f"zoo pull {name}")

    pulled = zoo_env.run("pull", name)
    assert pulled.returncode == 0, pulled.stderr
    assert "sha256 verified" in pulled.stdout and commit in pulled.stdout
    assert compare(zoo_env, name, runs["tiny"] / "model.safetensors") == f"IDENTICAL {name} {repo} {commit}"

    listed = zoo_env.run("cache", "list", "--json")
    (row,) = json.loads(listed.stdout)
    assert row["name"] == name and row["revisions"] == [commit] and row["size"] > 0
    removed = zoo_env.run("cache", "rm", name)
    assert removed.returncode == 0 and "removed" in removed.stdout, removed.stderr
    assert json.loads(zoo_env.run("cache", "list", "--json").stdout) == []


def test_hub_name_from_another_organisation(zoo_env: Zoo, hub_server: HubServer, pushed: dict[str, Path], runs) -> None:
    repo = "someone-else/My-DCGAN"
    commit = hub_server.publish(pushed["tiny"], repo)
    source = runs["tiny"] / "model.safetensors"
    # Pulled on demand by zoo.load, and pinned: the card's repo_id is replaced by where it really came from.
    assert compare(zoo_env, f"hf-hub:{repo}", source, download="on") == f"IDENTICAL dcgan-tiny {repo} {commit}"
    assert compare(zoo_env, f"hf-hub:{repo}@{commit}", source, download="on").endswith(commit)
    # A second commit on main: the cached main stays usable offline, 'zoo pull' moves to the new commit.
    newer = hub_server.publish(None, repo, {"notes.txt": "second commit"})
    offline = {"HF_HUB_OFFLINE": "1"}
    assert compare(zoo_env, f"hf-hub:{repo}", source, env=offline).endswith(commit)
    pulled = zoo_env.run("pull", f"hf-hub:{repo}")
    assert pulled.returncode == 0 and newer in pulled.stdout, pulled.stderr


def test_timm_loads_hf_hub_weights_from_the_same_server(zoo_env: Zoo, hub_server: HubServer, tmp_path: Path) -> None:
    import timm
    import torch
    from timm.models import save_for_hf

    torch.manual_seed(0)
    model = timm.create_model("test_resnet", pretrained=False, num_classes=7)
    folder = tmp_path / "timm-folder"
    save_for_hf(model, str(folder), safe_serialization=True)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    hub_server.publish(folder, f"{ORG}/test-resnet")
    saved = tmp_path / "expected.safetensors"
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(saved))
    code = (
        "import sys, timm, torch\n"
        "from safetensors.torch import load_file\n"
        f"model = timm.create_model('hf-hub:{ORG}/test-resnet', pretrained=True)\n"
        "expected = load_file(sys.argv[1])\n"
        "assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())\n"
        "print('TIMM OK', model.num_classes)\n"
    )
    result = zoo_env.python(code, str(saved))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "TIMM OK 7"
