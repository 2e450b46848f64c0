"""``zoo new-plugin``: the generated distribution installs, passes its own tests, trains, pushes, and
loads back from the Hub server by ``hf-hub:`` name; its image-to-image variants translate before and after."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.mark.slow
def test_generated_plugin_round_trips_through_the_hub(zoo_cli, zoo_env, hub_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = zoo_cli("new-plugin", "demo-gan", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    root = tmp_path / "zoo-demo-gan"
    assert {p.name for p in root.iterdir()} >= {"pyproject.toml", "README.md", "src", "tests"}
    assert zoo_cli("new-plugin", "demo-gan", "--dir", str(tmp_path)).returncode == 2  # never overwrites
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site)]
    subprocess.run([*pip, str(root)], check=True, capture_output=True)

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert tests.returncode == 0, tests.stdout[-2000:] + tests.stderr[-2000:]

    data = tmp_path / "tiny.npz"
    np.savez(data, images=np.random.default_rng(0).integers(0, 256, size=(16, 32, 32, 3), dtype=np.uint8))
    run = tmp_path / "run"
    trained = zoo_cli(
        "train", "demo-gan", "--data", str(data), "--out", str(run), "--steps", "2", "--set", "batch_size=4",
        "--device", "cpu", "--quiet", plugins=[site],
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    pushed = zoo_cli(
        "push", str(run), "--repo", "demo/demo-gan", "--dry-run", "--out", str(tmp_path / "pushed"),
        "--license", "mit", plugins=[site],
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    assert (tmp_path / "pushed" / "model.safetensors").is_file()

    commit = hub_server.publish(tmp_path / "pushed", "demo/demo-gan")
    path = os.pathsep.join([str(site), zoo_env.env["PYTHONPATH"]])
    code = "import zoo; m = zoo.load('hf-hub:demo/demo-gan'); print(m.spec.name, tuple(m.sample(2, seed=0).shape))"
    loaded = zoo_env.python(code, env={"PYTHONPATH": path})
    assert loaded.returncode == 0, loaded.stderr
    assert "demo-gan" in loaded.stdout and "(2, 32, 32, 3)" in loaded.stdout, (commit, loaded.stdout)


@pytest.mark.slow
def test_a_conditional_grayscale_plugin_from_template_to_hub_and_back(zoo_cli, zoo_env, hub_server, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The any-data issue's walk: render a class-conditional family, install it, train on 28x28 grayscale data,
    sample by class name, evaluate on ImageNet features, push, serve through the local Hub, load by hf-hub: name."""
    made = zoo_cli("new-plugin", "fashion-gan", "--conditional", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    root = tmp_path / "zoo-fashion-gan"
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site)]
    subprocess.run([*pip, str(root)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    tests = subprocess.run(  # its own tests: conformance and a publish round trip through zoo_local_hub
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert tests.returncode == 0 and "2 passed" in tests.stdout, tests.stdout[-2000:] + tests.stderr[-2000:]

    classes = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
    rng = np.random.default_rng(0)
    data = tmp_path / "fashion.npz"
    np.savez(data, x_train=rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), y_train=np.arange(40) % 10,
             classes=np.array(classes))  # fmt: skip
    run = tmp_path / "runs" / "fashion-gan"
    trained = zoo_cli(
        "train", "fashion-gan", "--data", str(data), "--out", str(run), "--steps", "2", "--set", "batch_size=8",
        "--set", "model.width=4", "--quiet", plugins=[site],
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    grid = tmp_path / "sneakers.png"
    sampled = zoo_cli("sample", str(run), "-n", "4", "--class", "sneaker", "-o", str(grid), plugins=[site])
    assert sampled.returncode == 0 and Image.open(grid).mode == "L", sampled.stderr
    metrics = tmp_path / "metrics.json"
    evaluated = zoo_cli("eval", str(run), "--data", str(data), "--metrics", "kid", "-n", "40", "--extractor",
                        "squeezenet1_1-imagenet", "--no-progress", "-o", str(metrics), plugins=[site])  # fmt: skip
    assert evaluated.returncode == 0 and "squeezenet1_1-imagenet features" in evaluated.stdout, evaluated.stderr
    pushed = zoo_cli("push", str(run), "--repo", "demo/fashion-gan", "--dry-run", "--out", str(tmp_path / "pushed"),
                     "--license", "mit", "--metrics", str(metrics), plugins=[site])  # fmt: skip
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    card = (tmp_path / "pushed" / "README.md").read_text()
    assert "labels=['T-shirt']" in card and "squeezenet1_1-imagenet" in card

    hub_server.publish(tmp_path / "pushed", "demo/fashion-gan")
    path = os.pathsep.join([str(site), zoo_env.env["PYTHONPATH"]])
    code = (
        "import zoo; m = zoo.load('hf-hub:demo/fashion-gan'); print(tuple(m.sample(3, seed=0, labels=['Bag']).shape))"
    )
    loaded = zoo_env.python(code, env={"PYTHONPATH": path})
    assert loaded.returncode == 0 and "(3, 32, 32, 1)" in loaded.stdout, loaded.stderr


def _install_and_test(root: Path, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    """pip-install a rendered plugin into ``site`` and run its own tests with it on the path."""
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site)]
    subprocess.run([*pip, str(root)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        capture_output=True, text=True, env=env, cwd=cwd,
    )  # fmt: skip


@pytest.mark.slow
def test_an_image_to_image_plugin_from_template_to_hub_and_back(zoo_cli, zoo_env, hub_server, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Issue #30's walk for translators: render --image-to-image, install it, run its own tests, train two steps on
    grey -> colour pairs, translate, evaluate, push, serve through the local Hub, translate again by hf-hub: name."""
    made = zoo_cli("new-plugin", "sketch2color", "--image-to-image", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    root, site = tmp_path / "zoo-sketch2color", tmp_path / "site"
    assert (root / "src" / "zoo_sketch2color" / "networks.py").is_file()
    tests = _install_and_test(root, site, tmp_path)  # conformance (two zoo.train steps) and its own Hub round trip
    assert tests.returncode == 0 and "2 passed" in tests.stdout, tests.stdout[-2000:] + tests.stderr[-2000:]

    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    grey = colour.mean(-1).astype(np.uint8)  # (N, 32, 32): one channel in, three out
    np.savez(tmp_path / "pairs.npz", train_A=grey[:8], train_B=colour[:8], test_A=grey[8:], test_B=colour[8:])
    Image.fromarray(grey[8]).save(tmp_path / "sketch.png")
    run = tmp_path / "runs" / "sketch2color"
    trained = zoo_cli(
        "train", "sketch2color", "--data", "pairs.npz", "--out", str(run), "--steps", "2", "--set", "batch_size=2",
        "--set", "model.resolution=32", "--set", "model.width=4", "--quiet", plugins=[site],
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert {"checkpoint.safetensors", "model.safetensors", "train_config.json", "progress.jsonl"} <= {
        p.name for p in run.iterdir()
    }
    translated = zoo_cli("translate", str(run), "sketch.png", "-o", "local.png", "--quiet", plugins=[site])
    assert translated.returncode == 0 and Image.open(tmp_path / "local.png").mode == "RGB", translated.stderr
    evaluated = zoo_cli("eval", str(run), "--data", "pairs.npz", "--metrics", "l1,psnr,ssim", "--no-progress",
                        plugins=[site])  # fmt: skip
    assert evaluated.returncode == 0 and "PSNR" in evaluated.stdout, evaluated.stderr
    pushed = zoo_cli("push", str(run), "--repo", "demo/sketch2color", "--dry-run", "--out", str(tmp_path / "pushed"),
                     "--license", "mit", plugins=[site])  # fmt: skip
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    card = (tmp_path / "pushed" / "README.md").read_text()
    assert "zoo translate hf-hub:demo/sketch2color" in card and "psnr:" in card and "dataset_sha256:" in card

    hub_server.publish(tmp_path / "pushed", "demo/sketch2color")
    path = os.pathsep.join([str(site), zoo_env.env["PYTHONPATH"]])
    again = zoo_env.run("translate", "hf-hub:demo/sketch2color", str(tmp_path / "sketch.png"), "-o",
                        str(tmp_path / "hub.png"), "--quiet", env={"PYTHONPATH": path})  # fmt: skip
    assert again.returncode == 0, again.stderr
    same = np.asarray(Image.open(tmp_path / "hub.png")), np.asarray(Image.open(tmp_path / "local.png"))
    assert np.array_equal(*same), "the published weights translate as the run's did"


@pytest.mark.slow
def test_an_unpaired_two_way_plugin_renders_and_passes_its_own_tests(zoo_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = zoo_cli("new-plugin", "day2night", "--image-to-image", "--unpaired", "--dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    root = tmp_path / "zoo-day2night"
    model = (root / "src" / "zoo_day2night" / "model.py").read_text()
    assert "directions = DIRECTIONS" in model and "def critic(" in model and "def translator(" in model
    recipe = (root / "src" / "zoo_day2night" / "__init__.py").read_text()
    assert '"cycle_weight": 10.0' in recipe and '"l1_weight"' not in recipe
    tests = _install_and_test(root, tmp_path / "site", tmp_path)  # check_plugin trains on trainA/trainB; both ways
    assert tests.returncode == 0 and "2 passed" in tests.stdout, tests.stdout[-2000:] + tests.stderr[-2000:]


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (("--unpaired",), "--unpaired makes a two-way image-to-image plugin: pass it with --image-to-image"),
        (("--image-to-image", "--conditional"), "conditioned on its input image already: drop --conditional"),
    ],
)
def test_template_flags_that_do_not_combine_are_refused(
    flags: tuple[str, ...], fragment: str, tmp_path: Path, zoo_here: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = zoo_here("new-plugin", "fine-name", "--dir", str(tmp_path), *flags)
    assert code == 2 and fragment in err
    assert not any(tmp_path.iterdir()), "nothing is written"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("dcgan", "'dcgan' is already a model of the installed plugin zoo-dcgan"),
        ("sagan-cifar10-32", "already a model of the installed plugin zoo-sagan"),
        ("lsgan", "a distribution 'zoo-lsgan' is already installed (pip would replace it)"),
        ("core", "a distribution 'zoo-core' is already installed (pip would replace it)"),
    ],
)
def test_a_name_already_installed_is_refused(name: str, fragment: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from zoo.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["new-plugin", name, "--dir", str(tmp_path)])
    assert stop.value.code == 2 and fragment in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "nothing is written"
