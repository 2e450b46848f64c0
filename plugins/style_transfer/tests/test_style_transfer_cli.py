"""``zoo stylize`` and ``zoo train style-transfer``: subprocesses for the happy paths, one-line errors in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from PIL import Image
from styletools import TINY_BACKBONE, picture

FEATURES = [
    "--backbone",
    TINY_BACKBONE,
    "--random-backbone",
    "--content-layers",
    "layer2",
    "--style-layers",
    "act1,layer1",
]


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def zoo_process(*args: str, cwd) -> Ran:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_")} | {
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    proc = subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, env=env, cwd=cwd)
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def zoo_here(capsys, *args: str) -> Ran:  # type: ignore[no-untyped-def]
    """The CLI in this process (fast): for errors that happen before any heavy work."""
    from zoo.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
        raise SystemExit(0)
    out = capsys.readouterr()
    return Ran(exit_info.value.code, out.out, out.err)


def one_line_error(result: Ran, *fragments: str) -> str:
    assert result.returncode == 2, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_stylize_by_optimisation_writes_a_png_of_the_content_size(images, tmp_path):
    out = tmp_path / "opt.png"
    args = ["stylize", str(images["content"]), "--style", str(images["style"]), "--steps", "3", "-o", str(out)]
    result = zoo_process(*args, *FEATURES, "--style-weight", "1000", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out} (40x32); loss " in result.stdout
    with Image.open(out) as image:
        assert image.size == (40, 32) and image.mode == "RGB"


def test_train_through_zoo_train_then_stylize_fast_in_bf16(images, tmp_path):
    run = tmp_path / "run"
    train = ["train", "style-transfer", "--style", str(images["style"]), "--data", str(images["folder"])]
    train += ["--out", str(run), "--steps", "2", "--batch-size", "2", "--image-size", "32", "--width", "4"]
    train += ["--res-blocks", "1", "--quiet", *FEATURES]
    result = zoo_process(*train, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (run / "model.safetensors").is_file() and "zoo stylize PHOTO --style" in result.stdout
    out = tmp_path / "fast.png"
    fast = [
        "stylize",
        str(images["content"]),
        "--style",
        str(run),
        "--dtype",
        "bfloat16",
        "--size",
        "64",
        "-o",
        str(out),
    ]
    result = zoo_process(*fast, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (64, 51)


def test_train_help_shows_the_family_options(capsys):
    result = zoo_here(capsys, "train", "style-transfer", "--help")
    assert result.returncode == 0
    assert "Usage: zoo train style-transfer [OPTIONS]" in result.stdout and "--style-weight" in result.stdout


def _style_help(capsys) -> list[str]:  # type: ignore[no-untyped-def]
    """The styles --style's help lists, read off `zoo stylize --help` (click wraps it, hyphens included)."""
    import re

    result = zoo_here(capsys, "stylize", "--help")
    assert result.returncode == 0, result
    text = re.sub(r"-\s+", "-", " ".join(result.stdout.split()))
    listed = re.search(r"--style TEXT A published style \(([^)]*)\)", text)
    assert listed, text
    return listed.group(1).split(", ")


def test_stylize_help_lists_every_registered_style_from_the_registry(capsys, monkeypatch):
    """The help once listed four styles by hand and left out pointilism."""
    import dataclasses

    from zoo.registry import get_registry

    checkpoints = get_registry().checkpoints
    styles = sorted(n.removeprefix("style-transfer-") for n, s in checkpoints.items() if s.family == "style-transfer")
    assert "pointilism" in styles and _style_help(capsys) == styles
    extra = dataclasses.replace(checkpoints["style-transfer-candy"], name="style-transfer-zz-extra")
    monkeypatch.setitem(checkpoints, extra.name, extra)  # another plugin's style: listed with no edit here
    assert _style_help(capsys) == [*styles, "zz-extra"]


def test_stylize_help_does_not_import_torch():
    code = (
        "import sys\nfrom zoo.cli import main\n"
        "try:\n    main(['stylize', '--help'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "pointilism" in proc.stdout


@pytest.mark.parametrize(
    ("style", "fragments"),
    [
        ("van-gogh", ["unknown style 'van-gogh': choose one of candy, mosaic, pointilism, rain-princess, udnie"]),
        ("missing.jpg", ["style file 'missing.jpg' does not exist"]),
    ],
)
def test_style_errors(capsys, images, tmp_path, style, fragments):
    result = zoo_here(capsys, "stylize", str(images["content"]), "--style", style, "-o", str(tmp_path / "o.png"))
    one_line_error(result, *fragments)


def test_content_errors_and_method_mismatch(capsys, images, tmp_path):
    out = str(tmp_path / "o.png")
    style = str(images["style"])
    one_line_error(zoo_here(capsys, "stylize", str(tmp_path / "no.jpg"), "--style", style, "-o", out), "does not exist")
    (tmp_path / "notes.txt").write_text("hello")
    not_image = zoo_here(capsys, "stylize", str(tmp_path / "notes.txt"), "--style", style, "-o", out)
    one_line_error(not_image, "content image", "is not an image PIL can read")
    fast = zoo_here(capsys, "stylize", str(images["content"]), "--style", style, "--method", "fast", "-o", out)
    one_line_error(fast, "--method fast needs a network trained on", "or use --method optimize")
    one_line_error(
        zoo_here(capsys, "stylize", str(images["content"]), "--style", style, "-o", "o.jpg"), "must end in .png"
    )


def test_backbone_and_layer_errors(capsys, images, tmp_path):
    base = ["stylize", str(images["content"]), "--style", str(images["style"]), "-o", str(tmp_path / "o.png")]
    one_line_error(
        zoo_here(capsys, *base, "--backbone", "resnet999", "--random-backbone"), "unknown backbone 'resnet999'"
    )
    layer = zoo_here(capsys, *base, *FEATURES[:2], "--random-backbone", "--style-layers", "act1,layer9")
    one_line_error(layer, "has no layer 'layer9'", "choose from act1, layer1")


def test_odd_photos_are_stylised_upright_with_a_note_when_capped(capsys, images, tmp_path):
    """RGBA and EXIF-rotated content go through; an oversized one is shrunk to the cap and the user told."""
    exif = Image.Exif()
    exif[0x0112] = 8
    picture(tmp_path / "rot.png", (40, 24))
    Image.open(tmp_path / "rot.png").save(tmp_path / "rot.jpg", exif=exif)
    picture(tmp_path / "rgba.png", (30, 20), mode="RGBA")
    run = tmp_path / "net"
    run.mkdir()
    _save_tiny_network(run)
    for name, size in (("rot.jpg", (24, 40)), ("rgba.png", (30, 20))):
        result = zoo_here(capsys, "stylize", str(tmp_path / name), "--style", str(run), "-o", str(tmp_path / "o.png"))
        assert result.returncode == 0, result.stderr
        assert Image.open(tmp_path / "o.png").size == size
    picture(tmp_path / "wide.png", (2200, 40))
    result = zoo_here(capsys, "stylize", str(tmp_path / "wide.png"), "--style", str(run), "-o", str(tmp_path / "o.png"))
    assert "note: 2200x40 is over the size cap of 2048 px; shrunk to 2048x37" in result.stderr
    assert Image.open(tmp_path / "o.png").size == (2048, 37)


def _save_tiny_network(run) -> None:  # type: ignore[no-untyped-def]
    import torch
    from zoo.weights import save_weights
    from zoo_style_transfer.transformer import TransformerNet

    torch.manual_seed(0)
    config = {"width": 4, "res_blocks": 1, "channels": 3, "resolution": 32}
    save_weights(
        run / "model.safetensors", TransformerNet(**config).state_dict(), family="style-transfer", config=config
    )


@pytest.mark.parametrize("as_file", [False, True])
def test_a_gan_run_as_style_says_it_is_not_a_style_network(capsys, images, tmp_path, as_file):
    """A GAN's run (latent generator) used to crash in its forward pass with a shape error."""
    import zoo
    from zoo.weights import save_weights

    pytest.importorskip("zoo_dcgan")
    gan = zoo.build("dcgan", with_discriminator=False, width=4)
    run = tmp_path / "dcgan-run"
    run.mkdir()
    save_weights(run / "model.safetensors", gan.generator.state_dict(), family="dcgan", config=gan.config)
    style = str(run / "model.safetensors" if as_file else run)
    result = zoo_here(capsys, "stylize", str(images["content"]), "--style", style, "-o", str(tmp_path / "o.png"))
    one_line_error(result, "is a dcgan generator, not a style-transfer network", "a run of 'zoo train style-transfer'")


def test_dtype_float16_is_not_offered(capsys, images, tmp_path):
    """It was accepted (and ignored by optimisation) although the help offers float32 or bfloat16."""
    args = ["stylize", str(images["content"]), "--style", str(images["style"]), "--dtype", "float16"]
    one_line_error(zoo_here(capsys, *args, "-o", str(tmp_path / "o.png")), "'float16' is not one of", "bfloat16")


def test_a_published_style_stylises_offline_in_a_fresh_process(images, tmp_path):
    """The README's first style command: a bundled network, no network, the picture zoo.load gives."""
    import numpy as np
    import zoo

    out = tmp_path / "candy.png"
    result = zoo_process("stylize", str(images["content"]), "--style", "candy", "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = zoo.load("style-transfer-candy")(Image.open(images["content"]))
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), np.asarray(expected))


def test_a_named_backbone_that_cannot_be_fetched_says_what_was_tried_and_what_to_do(
    capsys, images, tmp_path, monkeypatch
):
    monkeypatch.setenv("ZOO_NO_DOWNLOAD", "1")  # read when used (huggingface_hub reads HF_HUB_OFFLINE at import)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    pinned = "vgg19.tv_in1k@" + "0" * 40 + ":" + "1" * 64
    args = ["stylize", str(images["content"]), "--style", str(images["style"]), "--backbone", pinned]
    result = zoo_here(capsys, *args, "-o", str(tmp_path / "o.png"))
    one_line_error(result, "timm/vgg19.tv_in1k", "not in the local Hub cache", "--backbone squeezenet1_1")
    assert not (tmp_path / "o.png").exists()
    unpinned = [*args[:-1], "vgg19.tv_in1k"]  # no pin: refused before any fetch, with the way to pin
    one_line_error(zoo_here(capsys, *unpinned, "-o", str(tmp_path / "o.png")), "is not pinned", "@COMMIT:SHA256")


@pytest.mark.parametrize("dtype", ["auto", "float32"])
def test_verbose_says_how_the_network_runs(capsys, images, tmp_path, dtype):
    import zoo

    args = ["stylize", str(images["content"]), "--style", "candy", "-o", str(tmp_path / "c.png"), "--dtype", dtype]
    result = zoo_here(capsys, *args, "--verbose")
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("inference: ")]
    plan = zoo.load("style-transfer-candy").inference_plan.describe()  # this machine's plan: bf16 only if native
    assert said == [f"inference: {plan if dtype == 'auto' else 'float32 (exact: plain eager, as asked)'}"]
    assert "channels-last" not in said[0], "instance norm runs slower channels-last"
    quiet = zoo_here(capsys, *args[:-2], "-o", str(tmp_path / "d.png"))
    assert quiet.returncode == 0 and "inference:" not in quiet.stderr
