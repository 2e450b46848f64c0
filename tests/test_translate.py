"""``zoo translate`` / ``zoo.translate`` / ``handle.translate``: one path for every image-to-image model.

Toy translators registered here cover what the bundled style networks cannot: separate input and
output channels (greyscale -> colour) and a two-way model (A -> B and B -> A, as CycleGAN).
"""

from __future__ import annotations

import os
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from PIL import Image
from torch import nn
from zoo import ArchitectureSpec, ZooError, hookimpl
from zoo.interfaces import ImageToImageGenerator

PHOTO = Path(__file__).parent / "data" / "chelsea-96.png"


class Colorize(ImageToImageGenerator):
    """Greyscale in, colour out: a 1x1 convolution and a sigmoid."""

    def __init__(self, resolution: int = 32) -> None:
        super().__init__(resolution=resolution, channels=3, in_channels=1)
        self.conv = nn.Conv2d(1, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.conv(x * 4 - 2))


class _Map(nn.Module):
    """One direction of the two-way toy."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.conv(x))


class TwoWay(ImageToImageGenerator):
    """A -> B (grey to colour) and B -> A (colour to grey), like a CycleGAN's two generators."""

    directions = ("a2b", "b2a")

    def __init__(self, resolution: int = 32) -> None:
        super().__init__(resolution=resolution, channels=3, in_channels=1)
        self.g_ab, self.g_ba = _Map(1, 3), _Map(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.g_ab(x)

    def translator(self, direction: str) -> nn.Module:
        return {"a2b": self.g_ab, "b2a": self.g_ba}[direction]


def _plugin() -> types.ModuleType:
    module = types.ModuleType("toy_translators")

    @hookimpl
    def register_architectures(register):
        for name, cls in (("toy-colorize", "Colorize"), ("toy-two-way", "TwoWay")):
            register(ArchitectureSpec(name=name, task="image-to-image", generator=f"{__name__}:{cls}"))

    module.register_architectures = register_architectures
    return module


@pytest.fixture
def toys(zoo_registered_plugin, tmp_path):
    """The toy translators registered, and their (random) weights saved as files zoo.load reads."""
    from zoo.weights import save_weights

    with zoo_registered_plugin(_plugin()):
        for name in ("toy-colorize", "toy-two-way"):
            torch.manual_seed(0)
            generator = zoo.build(name).generator
            save_weights(tmp_path / f"{name}.safetensors", generator.state_dict(), family=name, config={})
        yield lambda name: str(tmp_path / f"{name}.safetensors")


def _grey(path: Path, size: tuple[int, int] = (40, 24), value: int = 0) -> Path:
    rng = np.random.default_rng(value)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8), mode="L").save(path)
    return path


def test_handle_translate_takes_greyscale_and_gives_colour(toys, tmp_path):
    handle = zoo.load("toy-colorize", pretrained=False)
    picture = handle.translate(_grey(tmp_path / "g.png"))
    assert picture.mode == "RGB" and picture.size == (40, 24)
    tensor = handle.translate(torch.rand(2, 1, 8, 8))
    assert tensor.shape == (2, 3, 8, 8)
    with pytest.raises(ZooError, match=r"expected images \(N, 1, H, W\)"):
        handle.translate(torch.rand(2, 3, 8, 8))


def test_a_two_way_model_translates_both_ways_and_names_its_directions(toys, tmp_path):
    handle = zoo.load("toy-two-way", pretrained=False)
    colour = handle.translate(_grey(tmp_path / "g.png"))
    assert colour.mode == "RGB"
    back = handle.translate(colour, direction="b2a")
    assert back.mode == "L" and back.size == colour.size
    with pytest.raises(ZooError, match="translates a2b and b2a, not 'c2d'"):
        handle.translate(colour, direction="c2d")
    one_way = zoo.load("toy-colorize", pretrained=False)
    with pytest.raises(ZooError, match="translates only a2b, not 'b2a'"):
        one_way.translate(colour, direction="b2a")


def test_zoo_translate_writes_a_file_a_folder_and_an_npz(toys, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        _grey(folder / f"img{i}.png", value=i)
    (folder / "notes.txt").write_text("not an image")
    one = zoo.translate(toys("toy-colorize"), folder / "img0.png", tmp_path / "one.png")
    assert one.count == 1 and Image.open(tmp_path / "one.png").mode == "RGB"
    many = zoo.translate(toys("toy-colorize"), folder, tmp_path / "out", batch_size=2)
    assert many.count == 3 and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "img0.png", "img1.png", "img2.png",
    ]  # fmt: skip
    dump = zoo.translate(toys("toy-two-way"), [folder], tmp_path / "colour.npz")
    images = np.load(tmp_path / "colour.npz")["images"]
    assert dump.count == 3 and images.shape == (3, 24, 40, 3) and images.dtype == np.uint8
    back = zoo.translate(toys("toy-two-way"), tmp_path / "colour.npz", tmp_path / "grey.npz", direction="b2a")
    assert back.direction == "b2a" and np.load(tmp_path / "grey.npz")["images"].shape == (3, 24, 40, 1)


def test_existing_outputs_are_kept_unless_forced(toys, tmp_path):
    source = _grey(tmp_path / "g.png")
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")
    with pytest.raises(ZooError, match="exists: choose another output, or pass --force"):
        zoo.translate(toys("toy-colorize"), source, target)
    assert target.read_bytes() == b"precious"
    zoo.translate(toys("toy-colorize"), source, target, force=True)
    assert Image.open(target).size == (40, 24)


def test_a_failure_midway_takes_back_what_the_call_wrote(toys, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _grey(folder / "a.png")
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(ZooError, match="b.png"):
        zoo.translate(toys("toy-colorize"), folder, tmp_path / "out", batch_size=1)
    assert not (tmp_path / "out").exists()  # a.png was written, then taken back with the folder it made


@pytest.mark.parametrize(
    ("inputs", "output", "fragment"),
    [
        (["in"], "out.png", "one image file but there are several inputs"),
        (["in/a.png", "in/a.png"], "out", "both named 'a'"),
        (["empty"], "out", "holds no images"),
        (["in/missing.png"], "out", "does not exist"),
        (["in/a.png"], "out.gif", "give an image file"),
        ([], "out", "no inputs given"),
    ],
)
def test_bad_inputs_and_outputs_are_one_line_before_any_work(toys, tmp_path, inputs, output, fragment):
    (tmp_path / "in").mkdir()
    (tmp_path / "empty").mkdir()
    for name in ("a.png", "b.png"):
        _grey(tmp_path / "in" / name)
    with pytest.raises(ZooError, match=fragment) as caught:
        zoo.translate(toys("toy-colorize"), [tmp_path / p for p in inputs], tmp_path / output)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / output).exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_among_the_inputs_is_refused_without_hanging(toys, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _grey(folder / "a.png")
    os.mkfifo(folder / "zzz.png")
    with pytest.raises(ZooError, match="FIFO"):
        zoo.translate(toys("toy-colorize"), folder, tmp_path / "out")


def test_a_generator_is_not_a_translator_and_a_translator_has_nothing_to_sample(toys, tmp_path):
    with pytest.raises(ZooError, match="generates images from latents, it does not translate"):
        zoo.translate("dcgan", _grey(tmp_path / "g.png"), tmp_path / "o.png")
    with pytest.raises(ZooError, match="zoo translate toy-colorize IMAGE -o OUT"):
        zoo.load("toy-colorize", pretrained=False).sample(1)


def test_zoo_translate_cli_runs_a_bundled_style_network(zoo_here, tmp_path):
    out = tmp_path / "candy.png"
    code, stdout, stderr = zoo_here("translate", "style-transfer-candy", str(PHOTO), "-o", str(out), "-q")
    assert code == 0, stderr
    assert "translated 1 image(s) a2b with style-transfer-candy" in stdout
    assert Image.open(out).size == Image.open(PHOTO).size
    code, _, stderr = zoo_here("translate", "style-transfer-candy", str(PHOTO), "-o", str(out), "--direction", "b2a")
    assert code == 2 and "translates only a2b" in stderr and "Traceback" not in stderr


def test_zoo_translate_and_the_style_network_path_agree(tmp_path):
    handle = zoo.load("style-transfer-candy", dtype="float32")
    expected = np.asarray(handle.translate(PHOTO))
    zoo.translate("style-transfer-candy", PHOTO, tmp_path / "c.png", dtype="float32")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "c.png")), expected)


def test_the_conformance_check_covers_both_directions_and_the_channels(toys):
    from zoo.testing import check_architecture

    check_architecture("toy-colorize", train=False)
    check_architecture("toy-two-way", train=False)


class IgnoresInput(Colorize):
    """Broken on purpose: the same picture whatever comes in."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.conv(torch.zeros_like(x)))


def test_the_conformance_check_catches_a_translator_that_ignores_its_input(zoo_registered_plugin):
    from zoo.testing import check_architecture

    module = types.ModuleType("ignores_input")

    @hookimpl
    def register_architectures(register):
        register(ArchitectureSpec(name="toy-ignores", task="image-to-image", generator=f"{__name__}:IgnoresInput"))

    module.register_architectures = register_architectures
    with zoo_registered_plugin(module), pytest.raises(AssertionError, match="does not depend on the input"):
        check_architecture("toy-ignores", train=False)


def test_export_takes_the_direction_and_keeps_the_batch_dynamic(toys, tmp_path):
    weights = toys("toy-two-way")
    handle = zoo.load(weights, dtype="float32")
    path = zoo.export(weights, tmp_path / "b2a.pt2", direction="b2a")
    program = torch.export.load(str(path)).module()
    colour = torch.rand(3, 3, 16, 20)  # a batch of 3 and another size than the example the export traced
    assert torch.allclose(program(colour), handle.translate(colour, direction="b2a"), atol=1e-6)


def test_export_of_a_translator_runs_in_onnxruntime_like_translate(toys, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    weights = toys("toy-colorize")
    handle = zoo.load(weights, dtype="float32")
    zoo.export(weights, tmp_path / "c.onnx")
    session = ort.InferenceSession(str(tmp_path / "c.onnx"))
    grey = np.random.default_rng(0).random((2, 1, 24, 40), dtype=np.float32)
    (ours,) = session.run(None, {session.get_inputs()[0].name: grey})
    expected = handle.translate(torch.from_numpy(grey)).numpy()
    assert ours.shape == (2, 3, 24, 40)
    assert np.abs(np.round(ours * 255) - np.round(expected * 255)).max() <= 1  # within one grey level


def test_direction_is_refused_for_a_generator(tmp_path):
    with pytest.raises(ZooError, match="--direction is for image-to-image models"):
        zoo.export("dcgan", tmp_path / "g.pt2", direction="b2a")
    assert not (tmp_path / "g.pt2").exists()


def test_training_a_translator_without_a_discriminator_is_one_line_not_a_traceback(toys, zoo_here, tmp_path):
    """It once ended in a TypeError from the GAN trainer; now the image-to-image trainer says what is missing."""
    np.savez(tmp_path / "d.npz", A=np.zeros((8, 32, 32, 1), np.uint8), B=np.zeros((8, 32, 32, 3), np.uint8))
    message = "toy-colorize registers no discriminator, so the image-to-image GAN trainer cannot train it"
    with pytest.raises(ZooError, match=message):
        zoo.train("toy-colorize", tmp_path / "d.npz", tmp_path / "run", steps=1)
    code, _, stderr = zoo_here("train", "toy-colorize", "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / "r"))
    assert code == 2 and message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "r").exists()


def test_reading_a_transparent_input_is_said_not_silent(zoo_here, tmp_path):
    """A 3-channel model flattens an RGBA photo on white: the command says so for that file."""
    rgba = Image.open(PHOTO).convert("RGBA").resize((32, 32))
    rgba.putpixel((0, 0), (0, 0, 0, 0))
    rgba.save(tmp_path / "cut-out.png")
    code, _, stderr = zoo_here(
        "translate", "style-transfer-candy", str(tmp_path / "cut-out.png"), "-o", str(tmp_path / "o.png"), "-q"
    )
    assert code == 0, stderr
    assert f"note: {tmp_path / 'cut-out.png'}: its transparency was composited on white" in stderr
