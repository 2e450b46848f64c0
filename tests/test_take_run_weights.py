"""scripts/take_run_weights.py: a run's weights go into a bundled checkpoint with every figure its card records.

A throwaway plugin distribution (a package with a card and fp16 weights, and a real ``gan_zoo`` entry
point) bundles one tiny DCGAN run's weights; the script gives it another tiny run's weights, measuring
everything again with the card's own command. Nothing here touches the repository's cards or plugins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from script_modules import load_script
from zoo.cli import main as zoo_main
from zoo.weights import load_tensors, read_config, read_step, sha256_file

ROOT = Path(__file__).resolve().parents[1]
NAME = "toy-dcgan"
PACKAGE = "zoo_toytake"
TINY = ["--set", "batch_size=8", "--set", "model.width=4", "--set", "model.z_dim=8", "--quiet"]
EVAL = ["--metrics", "kid", "-n", "16", "--extractor", "zoo-cifar10-resnet", "--precision", "float32"]
PLUGIN = f'''from zoo import hookimpl

ZOO_PLUGIN_API = 1


@hookimpl
def register_checkpoints(register):
    from zoo.cards import register_cards

    register_cards(register, __name__, ("{NAME}",))
'''


def _zoo(*args: str) -> None:
    """The CLI in this process (a run records sys.argv as its command)."""
    saved, sys.argv = sys.argv, ["zoo", *args]
    try:
        zoo_main(list(args))
    except SystemExit as exit_info:
        assert not exit_info.code, f"zoo {' '.join(args)} exited {exit_info.code}"
    finally:
        sys.argv = saved


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data, two 4-step runs (seeds 0 and 1), and a plugin site bundling run 0's weights (fp16) and card."""
    root = tmp_path_factory.mktemp("take")
    data = root / "data" / "tiny32.npz"
    data.parent.mkdir()
    np.savez(data, x_train=np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), dtype=np.uint8))
    for seed in (0, 1):
        run = str(root / f"run{seed}")
        _zoo("train", "dcgan", "--data", str(data), "--out", run, "--steps", "4", "--set", f"seed={seed}", *TINY)
    _zoo("eval", str(root / "run0"), "--data", str(data), *EVAL, "--no-progress")
    pushed = root / "pushed"  # the card zoo push writes: run 0's evaluation in its metrics
    push = ["push", str(root / "run0"), "--repo", f"me/{NAME}", "--name", NAME, "--license", "mit", "--dry-run"]
    _zoo(*push, "--dtype", "float16", "--out", str(pushed))
    package = root / "site" / PACKAGE
    (package / "cards").mkdir(parents=True)
    (package / "weights").mkdir()
    (package / "__init__.py").write_text(PLUGIN)
    for name in ("README.md", "samples.png"):
        shutil.copyfile(pushed / name, package / "cards" / (f"{NAME}.md" if name == "README.md" else name))
    shutil.copyfile(pushed / "model.safetensors", package / "weights" / f"{NAME}.safetensors")
    info = root / "site" / f"{PACKAGE}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[gan_zoo]\ntoytake = {PACKAGE}\n")
    return root


@pytest.fixture
def site(made: Path, tmp_path: Path) -> Path:
    """A private copy of the plugin's package folder (the test may change its card and weights)."""
    shutil.copytree(made / "site", tmp_path / "site")
    return tmp_path / "site" / PACKAGE


def _card(site: Path) -> Path:
    return site / "cards" / f"{NAME}.md"


def _weights(site: Path) -> Path:
    return site / "weights" / f"{NAME}.safetensors"


def _set_card_kid(site: Path, kid: float) -> None:
    """The card's KID, as if its weights had measured ``kid`` (the number a new run must beat)."""
    text = _card(site).read_text()
    start = text.index("    kid: ")
    end = text.index("\n", start)
    _card(site).write_text(text[:start] + f"    kid: {kid}" + text[end:])


def _take(site: Path, *args: str) -> subprocess.CompletedProcess:
    """The script as a user runs it, with the throwaway plugin installed (on PYTHONPATH)."""
    env = {**os.environ, "PYTHONPATH": str(site.parent), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, str(ROOT / "scripts" / "take_run_weights.py"), NAME, *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)


def _draw(site: Path) -> str:
    return f"zoo sample {NAME} -n 4 --seed 0 -o {site / 'cards' / f'{NAME}.png'}"


def _files(site: Path) -> dict[str, bytes]:
    """The package's cards and weights, byte for byte (Python may add bytecode beside its module)."""
    return {
        str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file() and p.suffix != ".pyc"
    }


def test_a_better_run_gets_the_bundled_file_and_every_machine_made_figure_on_the_card(made, site):
    _set_card_kid(site, 1e6)
    before = _card(site).read_text()
    done = _take(site, str(made / "run1"), "--data-dir", str(made / "data"), "--draw", _draw(site))
    assert done.returncode == 0, done.stderr
    weights, card = _weights(site), _card(site).read_text()
    block = yaml.safe_load(card.split("---\n")[1])["zoo"]
    assert block["sha256"] == sha256_file(weights) and block["size"] == weights.stat().st_size
    assert block["step"] == read_step(weights) == read_step(made / "run1" / "model.safetensors")
    run_tensors, bundled = load_tensors(made / "run1" / "model.safetensors"), load_tensors(weights)
    assert bundled.keys() == run_tensors.keys()
    for key, tensor in run_tensors.items():  # the run's tensors, floating ones cast to the bundled file's fp16
        assert bundled[key].equal(tensor.half() if tensor.is_floating_point() else tensor), key
    assert read_config(weights) == ("dcgan", block["config"])
    assert block["bf16_accuracy"]["samples"] == 1024
    assert (site / "cards" / f"{NAME}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    measured = subprocess.run(
        [sys.executable, "-m", "zoo", "eval", NAME, "--data", str(made / "data" / "tiny32.npz"), *EVAL, "--json"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(site.parent)}, check=True,
    )  # fmt: skip
    kid = yaml.safe_load(measured.stdout)["results"]["kid"]
    assert block["metrics"]["kid"] == float(f"{kid:.4g}") != 1e6
    changed = {line.split(":")[0].strip() for line in set(card.splitlines()) ^ set(before.splitlines())}
    assert changed <= {"sha256", "kid", "bf16_accuracy", "p999", "max", "mean", "samples", "protocol"}, changed
    assert "train_command" in done.stdout, "the script lists what it leaves to a person"


def test_a_run_no_better_than_the_card_leaves_every_file_as_it_was(made, site):
    _set_card_kid(site, -1e6)
    before = _files(site)
    done = _take(site, str(made / "run1"), "--data-dir", str(made / "data"), "--draw", _draw(site))
    assert done.returncode == 1
    assert "is not lower than the card's" in done.stderr and "Traceback" not in done.stderr
    assert "measured: kid " in done.stdout, "what the refused weights measured is shown"
    assert _files(site) == before


def test_a_step_failing_after_the_weights_went_in_puts_every_file_back(made, site, tmp_path):
    """The data file is missing from --data-dir: the evaluation fails after the weights and bf16 record went in."""
    before = _files(site)
    empty = tmp_path / "no-data"
    empty.mkdir()
    done = _take(site, str(made / "run1"), "--data-dir", str(empty), "--draw", _draw(site))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "failed" in done.stderr
    assert _files(site) == before


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["{run}", "--data-dir", "{data}", "--draw", "zoo sample {name} -o /tmp/elsewhere.png"], "not beside the card"),
        (["{run}", "--data-dir", "{data}", "--draw", "zoo eval {name} -o {card_dir}/x.png"], "--draw"),
        (["{run}", "--data-dir", "{data}", "--draw", "zoo sample {name} -n 4"], "names no -o IMAGE"),
        (["{run}", "--data-dir", "{data}", "--draw", "zoo sample {name} -o 'x.png"], "is not a command line"),
        (["{data}/tiny32.npz", "--data-dir", "{data}"], "neither a run directory"),
        (["{garbage}", "--data-dir", "{data}"], "{garbage}"),
        (["{data}", "--data-dir", "{data}"], "neither a run directory"),
        (["{run}", "--data-dir", "{data}/missing"], "is not a folder"),
        (["{run}/checkpoint.safetensors", "--data-dir", "{data}"], "is a training checkpoint"),
    ],
)
def test_bad_input_gets_one_line_exit_status_2_and_changes_nothing(made, site, args, fragment):
    before = _files(site)
    garbage = site.parent.parent / "garbage.safetensors"
    garbage.write_bytes(b"not safetensors at all")
    values = {"run": made / "run1", "data": made / "data", "name": NAME, "card_dir": site / "cards", "garbage": garbage}
    done = _take(site, *(arg.format(**values) for arg in args))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and fragment.format(**values) in done.stderr, done.stderr
    assert _files(site) == before


def test_weights_of_another_family_are_refused_before_anything_changes(made, site, tmp_path):
    """A SAGAN run's weights cannot become a DCGAN card's."""
    from zoo.weights import save_weights

    other = tmp_path / "other.safetensors"
    save_weights(
        other, load_tensors(made / "run1" / "model.safetensors"), family="sagan", config={}, metadata={"zoo.step": "4"}
    )
    before = _files(site)
    done = _take(site, str(other), "--data-dir", str(made / "data"))
    assert done.returncode == 2 and "holds sagan weights, the card dcgan" in done.stderr
    assert _files(site) == before


def test_weights_without_a_training_step_are_refused(made, site, tmp_path):
    """The card's step would go stale: only weights a run exported (zoo.step) are taken."""
    from zoo.weights import save_weights

    stepless = tmp_path / "stepless.safetensors"
    save_weights(stepless, load_tensors(made / "run1" / "model.safetensors"), family="dcgan", config={})
    before = _files(site)
    done = _take(site, str(stepless), "--data-dir", str(made / "data"))
    assert done.returncode == 2 and "records no training step" in done.stderr
    assert _files(site) == before


def test_an_unknown_checkpoint_is_refused_in_one_line(made):
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "take_run_weights.py"), "no-such-model", str(made / "run1"),
         "--data-dir", str(made / "data")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.strip() == (
        "error: no-such-model is not a checkpoint with a card and bundled weights: see zoo list"
    )


# --- the card edits --------------------------------------------------------------------------------

CARD = """---
zoo:
  name: x
  sha256: "aa"
  size: 10
  metrics:
    protocol: "outer; zoo eval x --data d.npz"
    fid: 5.0
    kid: 0.1
    ppl:
      protocol: "inner; zoo eval x --data d.npz --metrics ppl"
      ppl: 700.0
  train_command: zoo train x
---
# x

fid: 5.0 in the text stays.
"""


def _fields():
    return load_script("scripts/card_fields.py")


def test_a_group_edit_changes_only_that_groups_numbers():
    fields = _fields()
    text = fields.replace_group_values(CARD, "inner; zoo eval x --data d.npz --metrics ppl", {"ppl": 692.64})
    assert yaml.safe_load(text.split("---\n")[1])["zoo"]["metrics"]["ppl"]["ppl"] == 692.6
    text = fields.replace_group_values(text, "outer; zoo eval x --data d.npz", {"fid": 4.12345, "kid": 0.0000123456})
    metrics = yaml.safe_load(text.split("---\n")[1])["zoo"]["metrics"]
    assert (metrics["fid"], metrics["kid"], metrics["ppl"]["ppl"]) == (4.123, 1.235e-05, 692.6)
    assert text.endswith("fid: 5.0 in the text stays.\n")


def test_a_group_or_number_the_card_lacks_is_an_error():
    fields = _fields()
    with pytest.raises(fields.CardFieldError, match="no metric group"):
        fields.replace_group_values(CARD, "absent", {"fid": 1.0})
    with pytest.raises(fields.CardFieldError, match="holds no is"):
        fields.replace_group_values(CARD, "outer; zoo eval x --data d.npz", {"is": 1.0})


def test_a_field_is_replaced_in_the_zoo_block_or_added_after_size():
    fields = _fields()
    text = fields.replace_field(fields.replace_field(CARD, "sha256", '"bb"'), "step", "4000")
    block = yaml.safe_load(text.split("---\n")[1])["zoo"]
    assert (block["sha256"], block["step"]) == ("bb", 4000)
    assert text.index("  step: 4000") > text.index("  size: 10")
    with pytest.raises(fields.CardFieldError, match="front matter"):
        fields.replace_field("# no front matter\n", "size", "1")
