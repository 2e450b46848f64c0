"""What a run keeps about its data: the class count and names, the data it must resume on, when it is done."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.training.settings import fit_classes_to_data, resolve_settings
from zoo.training.trainer import RUN_CONFIG

TINY = ["--set", "batch_size=8", "--set", "model.width=4", "--set", "model.z_dim=8", "--set", "checkpoint_every=2"]


def _npz(path: Path, seed: int, classes: list[str] | None = None) -> Path:
    rng = np.random.default_rng(seed)
    arrays = {"images": rng.integers(0, 256, size=(24, 32, 32, 3), dtype=np.uint8)}
    if classes:
        arrays |= {"labels": np.arange(24) % len(classes), "classes": np.array(classes)}
    np.savez(path, **arrays)
    return path


@pytest.mark.slow
def test_a_conditional_model_takes_its_class_count_and_names_from_the_data(zoo_here, tmp_path):
    data = _npz(tmp_path / "pets.npz", 0, ["cat", "dog", "fish"])
    out = tmp_path / "run"
    code, _, err = zoo_here(
        "train",
        "sagan",
        "--data",
        str(data),
        "--out",
        str(out),
        "--steps",
        "2",
        "--quiet",
        *TINY,
        "--set",
        "model.width=8",
    )
    assert code == 0, err
    assert json.loads((out / RUN_CONFIG).read_text())["settings"]["model"]["num_classes"] == 3
    model = zoo.load(str(out))
    assert model.classes == ("cat", "dog", "fish")
    code, info, err = zoo_here("info", str(out))
    assert code == 0, err
    assert info.startswith(f"weights {out / 'model.safetensors'}\n  family: sagan\n")
    for line in ("  classes: cat, dog, fish", "  step: 2", f"  data: {data}", "  command: zoo train sagan --data"):
        assert line in info.splitlines() or any(row.startswith(line) for row in info.splitlines()), line
    assert model.sample(2, seed=0, labels=["fish"]).shape == (2, 32, 32, 3)


def test_a_class_count_set_against_the_data_is_refused():
    arch = get_registry().architecture("sagan")
    settings = resolve_settings(arch, None, {"model.num_classes": "10"})
    with pytest.raises(ZooError, match=r"names 3 classes \(cat, dog, fish\) but --set model.num_classes=10"):
        fit_classes_to_data(settings, arch, ("cat", "dog", "fish"), {"model.num_classes": "10"})
    unconditional = get_registry().architecture("dcgan")
    plain = resolve_settings(unconditional, None, {})
    fit_classes_to_data(plain, unconditional, ("cat", "dog"), {})
    assert "num_classes" not in plain.model


@pytest.mark.slow
def test_resume_refuses_other_data_and_accepts_the_same_file_moved(zoo_here, tmp_path):
    data, other = _npz(tmp_path / "a.npz", 0), _npz(tmp_path / "b.npz", 1)
    out = tmp_path / "run"
    code, _, err = zoo_here("train", "dcgan", "--data", str(data), "--out", str(out), "--steps", "2", "--quiet", *TINY)
    assert code == 0, err
    code, _, err = zoo_here("train", "dcgan", "--data", str(other), "--out", str(out), "--steps", "4", "--resume")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"--data {other} is not the data this run was trained on ({data}" in err
    code, _, err = zoo_here("train", "dcgan", "--data", "torchvision:CIFAR10:/x", "--out", str(out), "--resume")
    assert code == 2 and f"this run was trained on {data}" in err and "resume with that data" in err
    moved = tmp_path / "moved.npz"
    shutil.copy(data, moved)
    code, _, err = zoo_here(
        "train", "dcgan", "--data", str(moved), "--out", str(out), "--steps", "4", "--resume", "--quiet"
    )
    assert code == 0, err
    record = json.loads((out / RUN_CONFIG).read_text())
    assert record["data"] == str(data), "the first run's data stays on record; the resume's is in its command"
    assert str(moved) in record["resumed"][0]["command"]


def _folder(path: Path, seed: int) -> Path:
    from PIL import Image

    path.mkdir()
    for index, image in enumerate(np.random.default_rng(seed).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)):
        Image.fromarray(image).save(path / f"{index:02d}.png")
    return path


@pytest.mark.slow
def test_resume_checks_image_folder_data_too(zoo_here, tmp_path):
    data = _folder(tmp_path / "faces", 0)
    out = tmp_path / "run"
    code, _, err = zoo_here("train", "dcgan", "--data", str(data), "--out", str(out), "--steps", "2", "--quiet", *TINY)
    assert code == 0, err
    assert len(json.loads((out / RUN_CONFIG).read_text())["data_sha256"]) == 64
    (data / "notes.txt").write_text("not an image: the loader never reads it")
    (data / ".DS_Store").write_bytes(b"\0")
    args = ["train", "dcgan", "--data", str(data), "--out", str(out), "--steps", "3", "--resume", "--quiet"]
    code, _, err = zoo_here(*args)
    assert code == 0, err
    (data / "00.png").unlink()  # one image fewer: no longer the data the run started on
    args = ["train", "dcgan", "--data", str(data), "--out", str(out), "--steps", "4", "--resume", "--quiet"]
    code, _, err = zoo_here(*args)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"--data {data} is not the data this run was trained on" in err
    moved = tmp_path / "faces-moved"
    shutil.copytree(_folder(tmp_path / "faces-again", 0), moved)  # the same images under another name
    code, _, err = zoo_here(*args[:3], str(moved), *args[4:])
    assert code == 0, err


@pytest.mark.slow
def test_until_stops_early_without_changing_the_schedule(zoo_here, tmp_path):
    from zoo.weights import META_STEP, load_tensors, read_metadata

    data = _npz(tmp_path / "a.npz", 0)
    decaying = [*TINY, "--set", "lr_decay=linear", "--set", "sample_every=4", "--quiet", "--steps", "6"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    base = ["train", "dcgan", "--data", str(data)]
    assert zoo_here(*base, "--out", str(straight), *decaying)[0] == 0
    code, stdout, err = zoo_here(*base, "--out", str(split), *decaying, "--until", "3")  # between checkpoints
    assert code == 0, err
    assert "trained dcgan to step 3" in stdout and "continue with the same command plus --resume" in stdout
    assert read_metadata(split / "model.safetensors")[META_STEP] == "3"
    assert json.loads((split / "progress.jsonl").read_text().splitlines()[-1])["step"] == 3
    assert (split / "samples" / "step-000003.png").is_file(), "the stop gets its grid, as the end of a run does"
    stdout = zoo_here(*base, "--out", str(split), "--until", "3", "--resume")[1]
    assert "--until 3: nothing to do (pass a larger --until, or leave it out to train to step 6)" in stdout
    assert zoo_here(*base, "--out", str(split), "--resume", "--quiet")[0] == 0
    a, b = load_tensors(straight / "model.safetensors"), load_tensors(split / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), "the rates decayed over 6 steps both times"
    code, _, err = zoo_here(*base, "--out", str(tmp_path / "past"), *decaying, "--until", "7")
    assert code == 2 and "--until 7 is past the run's last step 6: pass a larger --steps" in err


def test_resuming_a_finished_run_says_there_is_nothing_to_do(zoo_here, tmp_path):
    data = _npz(tmp_path / "a.npz", 0)
    out = tmp_path / "run"
    args = ["train", "dcgan", "--data", str(data), "--out", str(out), "--quiet"]
    assert zoo_here(*args, "--steps", "2", *TINY)[0] == 0
    code, stdout, _ = zoo_here(*args, "--resume")
    assert code == 0 and "already trained to step 2: nothing to do" in stdout
    code, _, err = zoo_here(*args, "--resume", "--steps", "1")
    assert code == 2 and "already at step 2, past --steps 1: pass a larger --steps" in err


def test_the_resize_warning_is_one_line_on_the_command_line(zoo_cli, tmp_path):
    big = tmp_path / "big.npz"
    np.savez(big, images=np.random.default_rng(0).integers(0, 256, size=(16, 64, 64, 3), dtype=np.uint8))
    args = ["train", "dcgan", "--data", str(big), "--out", "run", "--steps", "1", "--quiet", *TINY]
    result = zoo_cli(*args, "--set", "ema_decay=0.0")  # no EMA: no 'the EMA has not caught up' note either
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == ["zoo: warning: resizing (64, 64) images to 32x32"]


def test_a_model_too_narrow_for_self_attention_is_a_one_line_error(zoo_here, tmp_path):
    data = _npz(tmp_path / "pets.npz", 0, ["cat", "dog", "fish"])
    args = ["train", "sagan", "--data", str(data), "--out", str(tmp_path / "run"), "--steps", "1", "--quiet", *TINY]
    code, _, err = zoo_here(*args)  # TINY has model.width=4: 4 channels at the attention block
    assert code == 2 and err.strip().splitlines() == [
        "Error: self-attention needs at least 8 channels, got 4: use a larger model.width"
    ]
    assert not (tmp_path / "run").exists()


def test_too_few_images_for_one_batch_says_how_to_go_on(zoo_here, tmp_path):
    data = _npz(tmp_path / "a.npz", 0)  # 24 images
    args = ["train", "dcgan", "--data", str(data), "--out", str(tmp_path / "run"), "--quiet", *TINY]
    code, _, err = zoo_here(*args, "--set", "batch_size=32")
    assert code == 2 and "fewer than one global batch (32): add images or pass a smaller --set batch_size=N" in err


def test_num_classes_zero_trains_unconditionally_on_labelled_data():
    arch = get_registry().architecture("sagan")
    settings = resolve_settings(arch, None, {"model.num_classes": "0"})
    fit_classes_to_data(settings, arch, ("cat", "dog", "fish"), {"model.num_classes": "0"})
    assert settings.model["num_classes"] == 0


def test_info_on_a_damaged_run_record_is_one_line(zoo_here, tmp_path):
    data = _npz(tmp_path / "a.npz", 0)
    out = tmp_path / "run"
    assert zoo_here("train", "dcgan", "--data", str(data), "--out", str(out), "--steps", "2", "--quiet", *TINY)[0] == 0
    (out / RUN_CONFIG).write_text("{not json")
    code, _, err = zoo_here("info", str(out))
    assert code == 2 and err.strip().splitlines() == [
        f"Error: {out / RUN_CONFIG} is not a readable JSON file (JSONDecodeError): fix or remove it"
    ]
