"""Bad input to every command and public function: exit code 2 / ZooError, one line, no traceback, nothing written.

A table, so a new command or option gets its hostile cases by adding rows. The CLI rows run in-process
(``zoo.cli.main``) so the whole table takes seconds; tests elsewhere run the same errors in subprocesses.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest
import torch
import zoo
from zoo.cli import main
from zoo.errors import ZooError
from zoo_style_transfer import stylize

LONG = "a" * 300
BIG = str(2**70)
STYLE = "stylegan-lite"
COND = "sagan-fashion-mnist-32"

CLI_CASES = [
    # zoo list / info / plugins
    ("list", "--family", "nope"),
    ("list", "zzz-no-match*"),
    ("info", "nope"),
    ("info", LONG),
    ("info", "missing-dir/"),
    ("info", "bad.safetensors"),
    ("info", "hf-hub:not a repo"),
    ("list", "--bogus"),
    ("plugins", "--bogus"),
    # zoo sample
    ("sample", "nope", "-o", "g.png"),
    ("sample", LONG, "-o", "g.png"),
    ("sample", "dcgan", "-o", f"{LONG}.png"),
    ("sample", "dcgan", "-o", "g.jpg"),
    ("sample", "dcgan", "-o", "g"),
    ("sample", "dcgan", "-o", "missing-dir/g.png"),
    ("sample", "dcgan", "-o", "."),
    ("sample", "dcgan"),
    ("sample", "dcgan", "-o", "g.png", "--out-dir", "d"),
    ("sample", "dcgan", "-n", "0", "-o", "g.png"),
    ("sample", "dcgan", "-n", "-5", "-o", "g.png"),
    ("sample", "dcgan", "-n", "20000", "-o", "g.png"),
    ("sample", "dcgan", "-n", "2000000", "-o", "g.npz"),
    ("sample", "dcgan", "-n", "ten", "-o", "g.png"),
    ("sample", "dcgan", "--seed", "-1", "-o", "g.png"),
    ("sample", "dcgan", "--seed", BIG, "-o", "g.png"),
    ("sample", "dcgan", "--seed", "1.5", "-o", "g.png"),
    ("sample", "dcgan", "--batch-size", "0", "-o", "g.png"),
    ("sample", "dcgan", "--nrow", "0", "-o", "g.png"),
    ("sample", "dcgan", "--device", "tpu", "-o", "g.png"),
    ("sample", "dcgan", "--device", "cuda:7", "-o", "g.png"),
    ("sample", "dcgan", "--dtype", "int8", "-o", "g.png"),
    ("sample", "dcgan", "--truncation", "0.5", "-o", "g.png"),
    ("sample", STYLE, "--truncation", "0", "-o", "g.png"),
    ("sample", STYLE, "--truncation", "1.5", "-o", "g.png"),
    ("sample", STYLE, "--truncation", "nan", "-o", "g.png"),
    ("sample", "dcgan", "--class", "cat", "-o", "g.png"),
    ("sample", "dcgan", "--per-class", "2", "-o", "g.png"),
    ("sample", COND, "-o", "g.png"),
    ("sample", COND, "--class", "Sneakers", "-o", "g.png"),
    ("sample", COND, "--class", "10", "-o", "g.png"),
    ("sample", COND, "--class", "-1", "-o", "g.png"),
    ("sample", COND, "--class", "Bag,,Coat", "-o", "g.png"),
    ("sample", COND, "--class", ",", "-o", "g.png"),
    ("sample", COND, "--per-class", "0", "-o", "g.png"),
    ("sample", COND, "--per-class", "2", "--class", "Bag", "-o", "g.png"),
    ("sample", COND, "--per-class", "2000", "-o", "g.png"),
    ("sample", "style-transfer-candy", "-o", "g.png"),
    ("sample", "dcgan", "--out-dir", "afile"),
    ("sample", "dcgan", "--scale", "0", "-o", "g.png"),
    ("sample", "dcgan", "--scale", "2", "-o", "g.npz"),
    ("sample", "npy.npz", "-o", "g.png"),
    ("sample", "nan.safetensors", "-o", "g.png"),
    ("sample", "garbage.safetensors", "-o", "g.png"),
    # zoo interpolate / style-mix
    ("interpolate", "dcgan", "--seeds", "1", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", "", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", "1,x", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", f"1,{BIG}", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", "1,-2", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", "1,2", "--steps", "1", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", "1,2", "--steps", "1000000", "-o", "w.gif"),
    ("interpolate", "dcgan", "--seeds", "1,2", "-o", "w.mp4"),
    ("interpolate", "dcgan", "--seeds", "1,2", "-o", f"{LONG}.gif"),
    ("interpolate", "dcgan", "--seeds", "1,2"),
    ("interpolate", "style-transfer-candy", "--seeds", "1,2", "-o", "w.gif"),
    ("interpolate", COND, "--seeds", "1,2", "-o", "w.gif"),
    ("interpolate", STYLE, "--seeds", "1,2", "--truncation", "2", "-o", "w.gif"),
    ("interpolate", "nope", "--seeds", "1,2", "-o", "w.gif"),
    ("style-mix", "dcgan", "--rows", "1", "--cols", "2", "--layers", "0", "-o", "m.png"),
    ("style-mix", STYLE, "--rows", "1", "--cols", "2", "--layers", "99", "-o", "m.png"),
    ("style-mix", STYLE, "--rows", "1", "--cols", "2", "--layers", "3-1", "-o", "m.png"),
    ("style-mix", STYLE, "--rows", "1", "--cols", "2", "--layers", "x", "-o", "m.png"),
    ("style-mix", STYLE, "--rows", "", "--cols", "2", "--layers", "0", "-o", "m.png"),
    (
        "style-mix",
        STYLE,
        "--rows",
        ",".join(map(str, range(200))),
        "--cols",
        ",".join(map(str, range(200))),
        "--layers",
        "0-3",
        "-o",
        "m.png",
    ),  # fmt: skip
    ("style-mix", STYLE, "--rows", "1", "--cols", "2", "--layers", "0", "-o", "m.gif"),
    ("style-mix", STYLE, "--rows", "1", "--cols", "2", "--layers", "0", "--scale", "0", "-o", "m.png"),
    ("style-mix", STYLE, "--rows", "1", "--cols", BIG, "--layers", "0", "-o", "m.png"),
    # zoo train
    ("train", "nope", "--data", "tiny.npz", "--out", "run"),
    ("train", "dcgan", "--data", "missing.npz", "--out", "run"),
    ("train", "dcgan", "--data", "npy.npz", "--out", "run"),
    ("train", "dcgan", "--data", "garbage.npz", "--out", "run"),
    ("train", "dcgan", "--data", "empty.npz", "--out", "run"),
    ("train", "dcgan", "--data", "floats.npz", "--out", "run"),
    ("train", "dcgan", "--data", "huge.npz", "--out", "run"),
    ("train", "dcgan", "--data", "empty-dir", "--out", "run"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "afile"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", f"{LONG}/run"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "colour=red"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "noequals"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "=3"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "steps=0"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "batch_size=-1"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "lr_g=fast"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "lr_g=-1"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "ema_decay=2"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "betas_g=[0.5]"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "flip=maybe"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "bf16=fast"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "loss=nope"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "lr_decay=cosine"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "regulariser=gp"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "reg_weight=3"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "diffaug=sparkle"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "model.depth=3"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "model.width=0"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "model.width=1000000000000"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--set", "model.resolution=33"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--recipe", "nope"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--resume"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--steps", "0"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--until", "0"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--until", "999999"),
    ("train", "dcgan", "--data", "tiny.npz", "--out", "run", "--device", "tpu"),
    ("train", "dcgan", "--data", "torchvision:NOPE:root", "--out", "run"),
    ("train", "dcgan", "--out", "run"),
    # zoo eval
    ("eval", "nope", "--data", "tiny.npz"),
    ("eval", "dcgan", "--data", "missing.npz"),
    ("eval", "dcgan", "--data", "tiny.npz", "--metrics", "fid,bogus"),
    ("eval", "dcgan", "--data", "tiny.npz", "--metrics", ""),
    ("eval", "dcgan", "--data", "tiny.npz", "-n", "0"),
    ("eval", "dcgan", "--data", "tiny.npz", "-n", "1000000"),
    ("eval", "dcgan", "--data", "tiny.npz", "--n-real", "0"),
    ("eval", "dcgan", "--data", "tiny.npz", "--seed", BIG),
    ("eval", "dcgan", "--data", "tiny.npz", "--batch-size", "0"),
    ("eval", "dcgan", "--data", "tiny.npz", "--extractor", "nope"),
    ("eval", "dcgan", "--data", "tiny.npz", "--precision", "int8"),
    ("eval", "dcgan", "--data", "tiny.npz", "--extractor", "squeezenet1_1-imagenet", "-n", "20"),
    ("eval", "dcgan", "--data", "tiny.npz", "-o", "results.txt"),
    ("eval", "dcgan", "--data", "tiny.npz", "-o", "."),
    ("eval", "dcgan", "--data", "tiny.npz", "-o", "missing-dir/r.json"),
    ("eval", "dcgan", "--data", "tiny.npz", "--device", "tpu"),
    # zoo pull / push / cache / cards
    ("pull", "nope"),
    ("pull", "hf-hub:bad name"),
    ("pull", "hf-hub:org/repo@bad rev"),
    ("pull", "dcgan", "--revision", "x y"),
    ("pull", LONG),
    ("push", "nope", "--repo", "me/x", "--dry-run"),
    ("push", "dcgan", "--repo", "no-slash", "--dry-run"),
    ("push", "dcgan", "--repo", "me/x", "--dry-run", "--metrics", "missing.json"),
    ("push", "dcgan", "--repo", "me/x", "--dry-run", "--metrics", "tiny.npz"),
    ("push", "dcgan", "--repo", "me/x", "--dry-run", "--metrics", "m.json", "--no-metrics"),
    ("push", "dcgan", "--repo", "me/x", "--dry-run", "--card", "missing.md"),
    ("push", "dcgan", "--repo", "me/x", "--dry-run", "--samples", "missing.png"),
    ("push", "dcgan", "--repo", "me/x", "--dry-run", "--dtype", "int8"),
    ("push", "missing-run/", "--repo", "me/x", "--dry-run"),
    ("push", "dcgan-cifar10-32", "--repo", "me/x", "--dry-run", "--out", "afile"),
    ("cache", "rm", "nope"),
    ("cards", "check", "missing-folder"),
    ("cards", "check", "empty-dir"),
    ("cards", "check", "bad-card.md"),
    # zoo stylize
    ("stylize", "missing.jpg", "--style", "candy", "-o", "s.png"),
    ("stylize", "one.png", "--style", "candy", "-o", "s.png"),
    ("stylize", "content.png", "--style", "nope-style", "-o", "s.png"),
    ("stylize", "content.png", "--style", "one.png", "-o", "s.png"),
    ("stylize", "content.png", "--style", "tiny.npz", "-o", "s.png"),
    ("stylize", "tiny.npz", "--style", "candy", "-o", "s.png"),
    ("stylize", "content.png", "--style", "candy", "-o", "s.txt"),
    ("stylize", "content.png", "--style", "candy", "-o", f"{LONG}.png"),
    ("stylize", "content.png", "--style", "candy", "--size", "3", "-o", "s.png"),
    ("stylize", "content.png", "--style", "candy", "--method", "magic", "-o", "s.png"),
    ("stylize", "content.png", "--style", "candy", "--method", "optimize", "-o", "s.png"),
    # zoo new-plugin
    ("new-plugin", "Bad Name!", "--out", "plug"),
    ("new-plugin", "dcgan", "--out", "plug"),
    ("new-plugin", "mygan", "--out", "afile"),
]


@pytest.fixture
def workdir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """Fixture files for the table; the test then checks that nothing new appeared next to them."""
    from PIL import Image
    from safetensors.torch import save_file
    from zoo.registry import get_registry
    from zoo.specs import bundled_path

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ZOO_NO_DOWNLOAD", "1")
    rng = np.random.default_rng(0)
    np.savez("tiny.npz", images=rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    np.savez("empty.npz", other=np.zeros(3))
    np.savez("floats.npz", images=np.zeros((4, 32, 32, 3), np.float32))
    np.save("npy.npy", np.zeros((4, 32, 32, 3), np.uint8))
    os.replace("npy.npy", "npy.npz")
    pathlib.Path("garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    pathlib.Path("garbage.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    header = {"descr": "|u1", "fortran_order": False, "shape": (10**6, 512, 512, 3)}
    import io
    import zipfile

    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, header)
    with zipfile.ZipFile("huge.npz", "w") as archive:
        archive.writestr("images.npy", member.getvalue())
    weights = bundled_path(get_registry().checkpoints["dcgan-cifar10-32"])
    from zoo.weights import load_tensors, read_metadata

    tensors = {
        key: torch.full_like(value, float("nan")) if value.is_floating_point() else value
        for key, value in load_tensors(weights).items()
    }
    save_file(tensors, "nan.safetensors", metadata=read_metadata(weights))
    pathlib.Path("afile").write_text("a file, not a directory")
    pathlib.Path("empty-dir").mkdir()
    pathlib.Path("bad-card.md").write_text("no front matter")
    pathlib.Path("m.json").write_text('{"protocol": "x", "fid": 1}')
    Image.new("RGB", (1, 1)).save("one.png")
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save("content.png")
    return tmp_path


def _files(root: pathlib.Path) -> set[pathlib.Path]:
    return {p for p in root.rglob("*") if "hf-home" not in p.parts}


@pytest.mark.parametrize("args", CLI_CASES, ids=[" ".join(a)[:60] for a in CLI_CASES])
def test_every_command_refuses_bad_input_in_one_line(workdir, capsys, args):
    before = _files(workdir)
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert exited.value.code == 2, (exited.value.code, err)
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in err, err
    assert len(lines[0]) < 600, "an error line the terminal can show"
    assert _files(workdir) == before, f"written: {sorted(map(str, _files(workdir) - before))}"


API_CASES = [
    (lambda: zoo.load(None), "name must be a valid string"),
    (lambda: zoo.load(123), "name must be a valid string"),
    (lambda: zoo.load(b"dcgan"), "name must be a valid string"),
    (lambda: zoo.load(""), "name must be a model name"),
    (lambda: zoo.load("nope"), "unknown model"),
    (lambda: zoo.load(LONG), "unknown model"),
    (lambda: zoo.load("dcgan", pretrained="no"), "pretrained must be a valid boolean"),
    (lambda: zoo.load("dcgan", download="yes"), "download must be a valid boolean"),
    (lambda: zoo.load("dcgan", dtype=torch.int64), "not a float type"),
    (lambda: zoo.load("dcgan", dtype="int8"), "unknown dtype"),
    (lambda: zoo.load("dcgan", dtype=3), "dtype must be a string"),
    (lambda: zoo.load("dcgan", device="tpu"), "unknown device"),
    (lambda: zoo.load("nan.safetensors"), "NaN or infinite"),
    (lambda: zoo.load("garbage.safetensors"), "not a valid safetensors file"),
    (lambda: zoo.build(None), "family must be a valid string"),
    (lambda: zoo.build("nope"), "unknown"),
    (lambda: zoo.build("dcgan", width=-1), "width=-1: must be between 1"),
    (lambda: zoo.build("dcgan", width=0), "width=0: must be between 1"),
    (lambda: zoo.build("dcgan", width=10**12), "must be between 1"),
    (lambda: zoo.build("dcgan", width="wide"), "must be an integer"),
    (lambda: zoo.build("dcgan", width=True), "must be an integer"),
    (lambda: zoo.build("dcgan", depth=3), "no config key(s) depth"),
    (lambda: zoo.build("dcgan", with_discriminator="no"), "with_discriminator must be a valid boolean"),
    (lambda: zoo.list_models(123), "pattern must be a valid string"),
    (lambda: zoo.list_models("*", family=5), "family must be a valid string"),
    (lambda: zoo.load("dcgan").sample(0), "between 1 and"),
    (lambda: zoo.load("dcgan").sample("4"), "between 1 and"),
    (lambda: zoo.load("dcgan").sample(True), "between 1 and"),
    (lambda: zoo.load("dcgan").sample(10**9), "between 1 and"),
    (lambda: zoo.load("dcgan").sample(2, seed="abc"), "seed must be an integer"),
    (lambda: zoo.load("dcgan").sample(2, seed=2**70), "seed must be an integer"),
    (lambda: zoo.load("dcgan").sample(2, seed=-1), "seed must be an integer"),
    (lambda: zoo.load("dcgan").sample(2, batch_size=0), "batch size must be a positive integer"),
    (lambda: zoo.load("dcgan").sample(2, output="png"), "output must be"),
    (lambda: zoo.load("dcgan").sample(2, truncation=0.5), "does not support truncation"),
    (lambda: zoo.load("dcgan").sample(2, labels=[1]), "unconditional"),
    (lambda: zoo.load(STYLE).sample(2, truncation="low"), "truncation must be in"),
    (lambda: zoo.load(STYLE).sample(2, truncation=0), "truncation must be in"),
    (lambda: zoo.load(COND).sample(2), "class-conditional"),
    (lambda: zoo.load(COND).sample(2, labels=["Sneakers"]), "unknown class"),
    (lambda: zoo.load(COND).sample(2, labels=[99]), "out of range"),
    (lambda: zoo.load(COND).sample(3, labels=[1, 2]), "got 2 labels for 3 images"),
    (lambda: zoo.load(STYLE).interpolate(1, 2, steps=1), "steps must be an integer from 2"),
    (lambda: zoo.load(STYLE).interpolate(1, 2**70, steps=3), "is not an integer from 0"),
    (lambda: zoo.load(STYLE).style_mix([1], [2], layers=[99]), "layer"),
    (lambda: zoo.load(STYLE).style_mix(list(range(100)), list(range(100)), layers=[0]), "at most 1024 cells"),
    (lambda: zoo.load("dcgan").style_mix([1], [2], layers=[0]), "not a style-based generator"),
    (lambda: zoo.load("style-transfer-candy").sample(2), "image-to-image"),
    (lambda: zoo.train(None, "tiny.npz", "run"), "family must be a valid string"),
    (lambda: zoo.train("dcgan", 5, "run"), "data must be a valid string"),
    (lambda: zoo.train("dcgan", "tiny.npz", None), "out must be a valid string"),
    (lambda: zoo.train("dcgan", "tiny.npz", "run", steps=0), "steps must be a positive integer"),
    (lambda: zoo.train("dcgan", "tiny.npz", "run", until=-1), "until must be a positive integer"),
    (lambda: zoo.train("dcgan", "tiny.npz", "run", settings="lr_g=1"), "settings must be a valid dictionary"),
    (lambda: zoo.train("dcgan", "tiny.npz", "run", settings={"colour": 1}), "unknown --set key 'colour'"),
    (lambda: zoo.train("dcgan", "tiny.npz", "run", settings={"model.width": 0}), "width"),
    (lambda: zoo.train("dcgan", "missing.npz", "run"), "does not exist"),
    (lambda: zoo.train("dcgan", "tiny.npz", "afile"), "is a file"),
    (lambda: zoo.evaluate("dcgan", "tiny.npz", n=0), "-n must be between 1"),
    (lambda: zoo.evaluate("dcgan", "tiny.npz", metrics=["bogus"]), "unknown metric"),
    (lambda: zoo.evaluate("dcgan", "missing.npz"), "does not exist"),
    (lambda: zoo.evaluate(3.5, "tiny.npz", extractor="squeezenet1_1-imagenet", n=600), "model must be a name"),
    (lambda: zoo.push("dcgan", "no-slash", dry_run=True), "ORG/NAME"),
    (lambda: zoo.push(None, "me/x", dry_run=True), "source must be"),
    (lambda: zoo.push("dcgan", "me/x", dry_run=True, dtype="int8"), "dtype must be one of"),
    (lambda: zoo.push("dcgan", "me/x", dry_run=True, metrics=5), "metrics must be a valid string"),
    (lambda: stylize("missing.jpg", "candy"), "does not exist"),
    (lambda: stylize("content.png", "candy", method="magic"), "unknown method"),
    (lambda: stylize("content.png", "one.png"), "at least 16 px"),
]


@pytest.mark.parametrize(("call", "fragment"), API_CASES, ids=[c[1][:40] for c in API_CASES])
def test_every_public_function_raises_a_one_line_zoo_error(workdir, call, fragment):
    before = _files(workdir)
    with pytest.raises(ZooError) as caught:
        call()
    message = str(caught.value)
    assert fragment in message and "\n" not in message, message
    assert _files(workdir) == before


def test_the_tables_are_as_large_as_promised():
    assert len(CLI_CASES) + len(API_CASES) >= 150
