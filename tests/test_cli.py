"""The ``zoo`` command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zoo
from PIL import Image


def test_help_lists_every_command(zoo_cli):
    result = zoo_cli("--help")
    assert result.returncode == 0
    for command in ("list", "info", "plugins", "sample", "train", "stylize"):
        assert f"  {command} " in result.stdout


def test_list_shows_family_and_checkpoint_with_columns(zoo_cli):
    result = zoo_cli("list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "KIND", "FAMILY", "TASK", "RESOLUTION", "PARAMETERS", "PLUGIN", "WEIGHTS"]
    by_name = {row.split()[0]: row.split() for row in rows}
    assert by_name["dcgan"][1] == "family"
    assert by_name["dcgan-cifar10-32"][1:3] == ["checkpoint", "dcgan"]
    assert by_name["dcgan-cifar10-32"][-1] == "bundled"


def test_list_filters_by_wildcard_and_family(zoo_cli, clean_error):
    rows = json.loads(zoo_cli("list", "dcgan-*", "--json").stdout)
    assert [row["name"] for row in rows] == ["dcgan-celeba64", "dcgan-cifar10-32", "dcgan-fashion-mnist-32"]
    assert rows[0]["parameters"] > 1_000_000
    cifar = [row["name"] for row in json.loads(zoo_cli("list", "*cifar*", "--json").stdout)]
    assert "dcgan-cifar10-32" in cifar and all("cifar" in name for name in cifar)
    assert {r["name"] for r in json.loads(zoo_cli("list", "--family", "dcgan", "--json").stdout)} >= {"dcgan"}
    clean_error(zoo_cli("list", "nothing-like-this*"), "no model matches")
    clean_error(zoo_cli("list", "--family", "dcgn"), "unknown family 'dcgn'", "'dcgan'")


def test_info_describes_spec_and_card(zoo_cli):
    result = zoo_cli("info", "dcgan")
    assert result.returncode == 0, result.stderr
    for fragment in (
        "family dcgan",
        "checkpoint dcgan-cifar10-32",
        "sha256:",
        "train command:",
        "zoo_dcgan.model:Generator",
    ):
        assert fragment in result.stdout


def test_plugins_json_reports_versions_and_hooks(zoo_cli):
    plugins = {p["name"]: p for p in json.loads(zoo_cli("plugins", "--json").stdout)}
    assert plugins["dcgan"]["distribution"] == "zoo-dcgan"
    assert plugins["dcgan"]["version"] == "0.1.0"
    assert set(plugins["dcgan"]["hooks"]) == {"register_architectures", "register_checkpoints"}
    assert plugins["dcgan"]["errors"] == []
    # zoo stylize comes from the style-transfer plugin's register_commands hook
    assert "register_commands" in plugins["style-transfer"]["hooks"]


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["info", "dcgan"], ["plugins"], ["--help"]])
def test_listing_commands_do_not_import_torch(args):
    code = (
        "import sys\nfrom zoo.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('torch', 'torchvision', 'timm') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1", "PATH": ""}
    )
    assert proc.returncode == 0, proc.stderr


def test_sample_writes_a_grid(zoo_cli, tmp_path):
    result = zoo_cli("sample", "dcgan", "-n", "16", "--seed", "3", "-o", "grid.png")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "grid.png") as image:
        assert image.size == (4 * 34 + 2, 4 * 34 + 2) and image.mode == "RGB"


def test_sample_grid_equals_python_api(zoo_cli, tmp_path):
    assert zoo_cli("sample", "dcgan-cifar10-32", "-n", "4", "--seed", "7", "--out-dir", "imgs").returncode == 0
    files = sorted((tmp_path / "imgs").glob("*.png"))
    assert len(files) == 4
    from_cli = np.stack([np.asarray(Image.open(f)) for f in files])
    from_api = zoo.load("dcgan").sample(4, seed=7).numpy()
    np.testing.assert_array_equal(from_cli, from_api)


def test_sample_in_bfloat16(zoo_cli, tmp_path):
    result = zoo_cli("sample", "dcgan", "-n", "4", "--dtype", "bfloat16", "--batch-size", "2", "-o", "bf16.png")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bf16.png").is_file()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["sample", "dcgn", "-o", "x.png"], ["unknown model 'dcgn'", "'dcgan'"]),
        (["sample", "dcgan", "-n", "0", "-o", "x.png"], ["-n must be between 1"]),
        (["sample", "dcgan", "-n", "100000000", "-o", "x.png"], ["-n must be between 1"]),
        (["sample", "dcgan", "-o", "missing/x.png"], ["does not exist"]),
        (["sample", "dcgan", "-o", "afile/x.png"], ["not a directory"]),
        (["sample", "dcgan", "-o", "x.jpg"], ["must end in .png"]),
        (["sample", "dcgan"], ["choose exactly one of"]),
        (["sample", "dcgan", "--device", "tpu:0", "-o", "x.png"], ["unknown device"]),
        (["sample", "dcgan", "--device", "cuda:7", "-o", "x.png"], ["cuda:7"]),
        (["sample", "dcgan", "--dtype", "float8", "-o", "x.png"], ["unknown dtype 'float8'"]),
        (["sample", "dcgan", "-n", "abc", "-o", "x.png"], ["'abc' is not a valid integer"]),
        (["info", "stylegan-lite-nothing"], ["unknown model"]),
        (["nonsense-command"], ["No such command"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(zoo_cli, clean_error, tmp_path, args, fragments):
    (tmp_path / "afile").write_text("not a directory")
    before = sorted(p.name for p in tmp_path.iterdir())
    clean_error(zoo_cli(*args), *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_corrupted_and_misfitting_weights_are_refused(zoo_cli, clean_error, tmp_path):
    import torch
    from zoo.weights import save_weights

    handle = zoo.load("dcgan")
    run = tmp_path / "run"
    run.mkdir()
    save_weights(run / "model.safetensors", handle.generator.state_dict(), family="dcgan", config=handle.config)
    assert zoo_cli("sample", str(run), "-n", "2", "-o", "ok.png").returncode == 0

    data = (run / "model.safetensors").read_bytes()
    (run / "model.safetensors").write_bytes(data[: len(data) // 2])
    clean_error(zoo_cli("sample", str(run), "-n", "2", "-o", "bad.png"), "truncated or corrupted")

    wrong = dict(handle.generator.state_dict())
    wrong["net.0.weight"] = torch.zeros(3, 3)
    del wrong["net.1.bias"]
    wrong["extra.weight"] = torch.zeros(1)
    save_weights(run / "model.safetensors", wrong, family="dcgan", config=handle.config)
    clean_error(
        zoo_cli("sample", str(run), "-n", "2", "-o", "bad.png"),
        "missing net.1.bias",
        "unexpected extra.weight",
        "net.0.weight has shape (3, 3)",
    )
    assert not (tmp_path / "bad.png").exists()


def test_sample_never_overwrites_with_a_partial_file(zoo_cli, tmp_path):
    target = tmp_path / "keep.png"
    target.write_bytes(b"previous result")
    zoo_cli("sample", "dcgan", "--dtype", "float8", "-o", "keep.png")
    assert target.read_bytes() == b"previous result"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_the_dcgan_family_has_one_trainer(zoo_cli):
    """The plugin's own loop is retired: every card command is a 'zoo train' command."""
    result = zoo_cli("dcgan", "train", "--data", "x.npz")
    assert result.returncode == 2 and "No such command 'dcgan'" in result.stderr


def test_python_dash_m_zoo_matches_console_script():
    proc = subprocess.run([sys.executable, "-m", "zoo", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and zoo.__version__ in proc.stdout
    assert Path(sys.executable).with_name("zoo").exists()


def test_zoo_info_shows_a_run_only_the_settings_its_trainer_reads():
    """A translator's run lists no n_critic, a GAN's no l1_weight; a family no plugin provides keeps all."""
    from zoo.cli.listing import _keys_its_trainer_ignores
    from zoo.training.settings import LATENT_ONLY_KEYS, TRANSLATION_KEYS

    assert _keys_its_trainer_ignores("pix2pix") == LATENT_ONLY_KEYS and "n_critic" in LATENT_ONLY_KEYS
    assert _keys_its_trainer_ignores("dcgan") == TRANSLATION_KEYS and "l1_weight" in TRANSLATION_KEYS
    assert _keys_its_trainer_ignores("no-such-family") == ()
