"""Class names travel from the training data (.npz ``classes``) into the run, so a run samples by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zoo
from zoo.hub.publish import plan_push
from zoo.registry import get_registry
from zoo.training.settings import resolve_settings
from zoo.training.trainer import RUN_CONFIG, Trainer

NAMES = ("cat", "dog", "ship")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A one-step SAGAN run (3 classes) on an npz that names its classes."""
    root = tmp_path_factory.mktemp("names")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    np.savez(root / "d.npz", images=images, labels=np.arange(8) % 3, classes=np.array(NAMES))
    arch = get_registry().architecture("sagan")
    overrides = {f"model.{k}": str(v) for k, v in arch.tiny_config.items()} | {"batch_size": "4", "steps": "1"}
    Trainer(arch, resolve_settings(arch, None, overrides), str(root / "d.npz"), root / "run", quiet=True).run()
    return root / "run"


def test_a_run_samples_by_the_class_names_of_its_data(run):
    handle = zoo.load(str(run))
    assert handle.classes == NAMES
    assert json.loads((run / RUN_CONFIG).read_text())["classes"] == list(NAMES)
    assert (handle.sample(2, seed=0, labels=["ship"]) == handle.sample(2, seed=0, labels=[2])).all()
    with pytest.raises(zoo.ZooError, match="unknown class 'horse': choose one of cat, dog, ship"):
        handle.sample(1, labels=["horse"])


def test_class_names_ignore_case_but_refuse_an_ambiguous_one(run):
    handle = zoo.load(str(run))
    assert (handle.sample(2, seed=0, labels=["SHIP"]) == handle.sample(2, seed=0, labels=[2])).all()
    handle._classes, handle.checkpoint = ("Cat", "cat", "dog"), None
    assert handle._class_index("cat") == 1  # an exact spelling always wins
    with pytest.raises(zoo.ZooError, match="class 'CAT' matches 'Cat' and 'cat' when case is ignored"):
        handle._class_index("CAT")


def test_pushing_a_run_puts_its_class_names_on_the_card(run):
    assert plan_push(str(run), "org/sagan-test").fields["classes"] == list(NAMES)


def test_cli_samples_a_run_by_class_name(zoo_cli, clean_error, run, tmp_path):
    result = zoo_cli("sample", str(run), "-n", "2", "--class", "dog", "-o", str(tmp_path / "g.png"))
    assert result.returncode == 0, result.stderr
    clean_error(zoo_cli("sample", str(run), "-n", "2", "-o", str(tmp_path / "h.png")), "pass --class NAME", "cat, dog")


def test_cli_per_class_grid_has_one_row_per_class(zoo_cli, clean_error, run, tmp_path):
    from PIL import Image

    grid = tmp_path / "per-class.png"
    result = zoo_cli("sample", str(run), "--per-class", "4", "-o", str(grid))
    assert result.returncode == 0, result.stderr
    assert "wrote 12 images" in result.stdout
    width, height = Image.open(grid).size
    assert height == 2 + 3 * 34 and width > 2 + 4 * 34  # 3 class rows of 32 px, 4 columns and a label column
    clean_error(zoo_cli("sample", str(run), "--per-class", "2", "--class", "dog", "-o", str(grid)), "replaces --class")
    clean_error(zoo_cli("sample", "dcgan", "--per-class", "2", "-o", str(grid)), "unconditional", "--per-class")


def test_cli_per_class_zero_says_it_needs_a_positive_number(zoo_cli, clean_error, tmp_path):
    """Without --class the message used to say 'drop one of them'."""
    line = clean_error(zoo_cli("sample", "sagan", "--per-class", "0", "-o", str(tmp_path / "g.png")), "at least 1")
    assert "--class" not in line
