"""Every CLI job is a function: zoo.train, zoo.push, a plugin's stylize give what the commands give, same errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zoo
from zoo.errors import ZooError

TINY = {"batch_size": 8, "model.width": 4, "model.z_dim": 8, "sample_every": 2, "checkpoint_every": 2}


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(path, images=np.random.default_rng(0).integers(0, 256, (24, 32, 32, 3), dtype=np.uint8))
    return path


def test_train_then_push_from_python(tiny_data, tmp_path):
    weights = zoo.train("dcgan", tiny_data, tmp_path / "run", settings=TINY, steps=2, quiet=True, say=lambda _: None)
    assert weights == tmp_path / "run" / "model.safetensors"
    assert zoo.load(tmp_path / "run").sample(2).shape == (2, 32, 32, 3)
    record = json.loads((tmp_path / "run" / "train_config.json").read_text())
    # the run records the zoo train command that repeats this call, so its card can reproduce it
    assert record["command"].startswith(f"zoo train dcgan --data {tiny_data} --out {tmp_path / 'run'} --set")
    assert "--set model.width=4" in record["command"] and record["command"].endswith("--steps 2")
    again = zoo.train("dcgan", tiny_data, tmp_path / "run", steps=3, resume=True, quiet=True, say=lambda _: None)
    assert again == weights
    result = zoo.push(tmp_path / "run", "me/tiny", dry_run=True, license="mit", no_metrics=True, say=lambda _: None)
    assert {"model.safetensors", "README.md", "config.json"} <= set(result.files)
    assert result.commit is None and (result.folder / "README.md").is_file()


@pytest.mark.parametrize(
    ("cli", "kwargs"),
    [
        (["--set", "colour=red"], {"settings": {"colour": "red"}}),
        (["--set", "steps=0"], {"settings": {"steps": 0}}),
        (["--set", "lr_g=fast"], {"settings": {"lr_g": "fast"}}),
        (["--recipe", "nope"], {"recipe": "nope"}),
        (["--resume"], {"resume": True}),
    ],
)
def test_train_errors_are_the_cli_errors(zoo_cli, tiny_data, tmp_path, monkeypatch, cli, kwargs):
    monkeypatch.chdir(tmp_path)
    shown = zoo_cli("train", "dcgan", "--data", str(tiny_data), "--out", "run", *cli)
    assert shown.returncode == 2
    with pytest.raises(ZooError) as caught:
        zoo.train("dcgan", tiny_data, "run", **kwargs)
    assert shown.stderr.strip() == f"Error: {caught.value}"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((None, "d.npz", "run"), "family must be a valid string, got None"),
        (("dcgan", 42, "run"), "data must be a valid string or an instance of PathLike, got 42"),
        (("dcgan", "DATA", None), "out must be a valid string or an instance of PathLike, got None"),
    ],
)
def test_train_refuses_arguments_of_the_wrong_type(tiny_data, args, fragment):
    args = tuple(str(tiny_data) if a == "DATA" else a for a in args)
    with pytest.raises(ZooError, match=fragment):
        zoo.train(*args)
    with pytest.raises(ZooError, match="steps must be a positive integer"):
        zoo.train("dcgan", tiny_data, "run", steps=-1)
    with pytest.raises(ZooError, match="settings must be a valid dictionary"):
        zoo.train("dcgan", tiny_data, "run", settings=["lr_g=1"])


def test_push_refuses_a_bad_repo_and_dtype(tmp_path):
    with pytest.raises(ZooError, match="ORG/NAME"):
        zoo.push("dcgan", "no-slash", dry_run=True)
    with pytest.raises(ZooError, match="dtype must be one of"):
        zoo.push("dcgan", "me/x", dry_run=True, dtype="int8")


def test_stylize_is_the_stylize_command_in_python(tmp_path):
    """``zoo stylize`` comes from the zoo-style-transfer plugin, and so does its function: the core names no family."""
    from PIL import Image
    from zoo_style_transfer import stylize

    content = tmp_path / "c.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(content)
    result = stylize(content, "candy")
    assert result.image.size == (64, 48) and result.image.mode == "RGB"
    with pytest.raises(ZooError, match="unknown method"):
        stylize(content, "candy", method="magic")
    assert not hasattr(zoo, "stylize")


def test_the_job_functions_stay_functions_after_every_module_is_imported():
    """A submodule named like a function (zoo/export.py) would replace zoo.export once imported."""
    import importlib
    import pkgutil

    for module in pkgutil.walk_packages(zoo.__path__, "zoo."):
        if not module.name.startswith(("zoo.cli", "zoo.templates", "zoo.__main__")):
            importlib.import_module(module.name)
    for name in ("load", "build", "train", "evaluate", "push", "export", "list_models"):
        assert callable(getattr(zoo, name)) and not isinstance(getattr(zoo, name), type(zoo)), name
