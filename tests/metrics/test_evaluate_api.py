"""``zoo.evaluate``: what ``zoo eval`` does, as a function; the same one-line errors, before any loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import zoo
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.specs import bundled_path


def test_evaluate_a_run_directory_writes_its_metrics_and_returns_them(zoo_home, tiny_cifar, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copyfile(bundled_path(get_registry().checkpoints["dcgan-cifar10-32"]), run / "model.safetensors")
    evaluation = zoo.evaluate(run, tiny_cifar, "kid,pr", n=60, extractor="test-pixels", progress=False)
    assert set(evaluation.values) == {"kid", "kid_std", "precision", "recall"}
    assert evaluation.protocol["extractor"] == "test-pixels" and evaluation.protocol["num_generated"] == 60
    written = json.loads((run / "metrics.json").read_text())["evaluations"][0]["results"]
    assert written == pytest.approx(evaluation.values)


def test_evaluate_takes_a_loaded_model(zoo_home, tiny_cifar):
    model = zoo.load("dcgan")
    by_handle = zoo.evaluate(model, tiny_cifar, ["kid"], n=60, extractor="test-pixels", progress=False)
    by_name = zoo.evaluate("dcgan", tiny_cifar, ["kid"], n=60, extractor="test-pixels", progress=False)
    assert by_handle.values["kid"] == pytest.approx(by_name.values["kid"], rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"metrics": "fid,bogus"}, "unknown metric(s) 'bogus'"),
        ({"n": 0}, "-n must be between 1 and 100,000"),
        ({"n": "many"}, "n must be a valid integer, got 'many'"),
        ({"n_real": -3}, "--n-real must be between 1"),
        ({"seed": 2**70}, "--seed must be between 0 and 2**63-1"),
        ({"precision": "int8"}, "unknown precision 'int8'"),
        ({"extractor": "nope"}, "unknown feature extractor 'nope'"),
        ({"data": "missing.npz"}, "does not exist"),
        ({"output": "results.txt"}, "must end in .json"),
        ({"model": 123}, "model must be a name, a run directory or a zoo.load() handle"),
    ],
)
def test_bad_arguments_are_zoo_errors_before_any_work(zoo_home, tiny_cifar, tmp_path, kwargs, fragment):
    call = {"model": "dcgan", "data": tiny_cifar, "metrics": "kid", "extractor": "test-pixels", "progress": False}
    call |= {"output": str(tmp_path / "r.json")} if "output" not in kwargs else {}
    call |= {k: (str(tmp_path / v) if k == "output" else v) for k, v in kwargs.items()}
    with pytest.raises(ZooError) as caught:
        zoo.evaluate(**call)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
    assert not Path(tmp_path / "r.json").exists()
