"""zoo export: every bundled generator as ONNX reproduces zoo sample's images in onnxruntime; .pt2 too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from zoo.registry import get_registry
from zoo.seeds import latent_generator

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is in the 'test' dependency group")
onnx = pytest.importorskip("onnx")

# One bundled checkpoint per GAN family (every bundled one was checked the same way when this was written,
# see the closing note of session 8): grayscale, class-conditional, style-based and 64 px are among them.
BUNDLED = sorted(
    {spec.family: name for name, spec in sorted(get_registry().checkpoints.items()) if spec.bundled}.values()
)
BUNDLED = [
    name
    for name in BUNDLED
    if get_registry().architectures[get_registry().checkpoints[name].family].task != "image-to-image"
]  # translators: below


def _pixels(images: np.ndarray) -> np.ndarray:
    """What zoo sample does to the generator's output: [-1, 1] -> uint8, channels last."""
    return np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8).transpose(0, 2, 3, 1)


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.slow
def test_onnx_export_reproduces_zoo_sample(zoo_cli, tmp_path, name):
    result = zoo_cli("export", name, "-o", "g.onnx")
    assert result.returncode == 0, result.stderr
    assert "exporting" in result.stderr  # the export phase says what it is doing
    session = ort.InferenceSession(str(tmp_path / "g.onnx"))
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "g.onnx")).metadata_props}
    handle = zoo.load(name, dtype="float32")  # the exported graph is float32: it reproduces the float32 path
    assert meta["zoo.name"] == name and json.loads(meta["zoo.config"]) == handle.config
    assert meta["zoo.weights_sha256"] == handle.checkpoint.sha256
    n = 5  # not the batch of 2 the graph was traced with: the batch dimension is dynamic
    z = handle.generator.sample_latents(n, latent_generator(7))
    feeds = {"z": z.numpy()}
    labels = None
    if handle.generator.num_classes:
        labels = [i % handle.generator.num_classes for i in range(n)]
        feeds["y"] = np.array(labels, dtype=np.int64)
    images = _pixels(session.run(None, feeds)[0])
    expected = handle.sample(n, seed=7, labels=labels).numpy()
    difference = np.abs(images.astype(int) - expected.astype(int))
    # Tolerance: at most 1 grey level (float rounding at a .5 boundary), on at most 0.1 % of pixels.
    assert difference.max() <= 1 and (difference > 0).mean() <= 1e-3, (difference.max(), (difference > 0).mean())


@pytest.mark.slow
def test_style_network_exports_and_matches(zoo_cli, tmp_path):
    assert zoo_cli("export", "style-transfer-candy", "-o", "candy.onnx").returncode == 0
    session = ort.InferenceSession(str(tmp_path / "candy.onnx"))
    image = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    handle = zoo.load("style-transfer-candy")
    with torch.no_grad():
        expected = handle.generator(image).numpy()
    got = session.run(None, {"image": image.numpy()})[0]
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-3


def test_torch_export_program_carries_the_metadata(tmp_path):
    path = zoo.export("dcgan", tmp_path / "g.pt2")
    extra = {"zoo.json": ""}
    program = torch.export.load(str(path), extra_files=extra)
    facts = json.loads(extra["zoo.json"])
    assert facts["zoo.name"] == "dcgan-cifar10-32"
    handle = zoo.load("dcgan", dtype="float32")
    z = handle.generator.sample_latents(3, latent_generator(1))
    assert np.array_equal(_pixels(program.module()(z).detach().numpy()), handle.sample(3, seed=1).numpy())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["dcgan", "-o", "g.onnnx"], "must end in .onnx or .pt2"),
        (["dcgan", "-o", "g.onnx", "--opset", "3"], "opset must be between 17 and 23"),
    ],
)
def test_bad_export_requests(zoo_cli, clean_error, tmp_path, args, fragment):
    clean_error(zoo_cli("export", *args), fragment)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("opset", [-1, 7, 16, 24])
def test_an_opset_the_exporter_cannot_write_is_refused_before_anything_is_written(tmp_path, opset):
    """opset=-1 printed onnx's traceback and wrote a file; --opset 7 silently wrote an opset-18 file."""
    with pytest.raises(zoo.ZooError, match="opset must be between 17 and 23"):
        zoo.export("dcgan", tmp_path / "g.onnx", opset=opset)
    assert not list(tmp_path.iterdir())


def test_an_existing_file_is_kept_unless_asked(tmp_path):
    target = tmp_path / "g.pt2"
    target.write_bytes(b"mine")
    with pytest.raises(zoo.ZooError, match="already exists: pass --force"):
        zoo.export("dcgan", target)
    assert target.read_bytes() == b"mine"
    zoo.export("dcgan", target, overwrite=True)
    assert target.read_bytes() != b"mine"


def test_the_exported_onnx_carries_the_opset_asked_for(tmp_path):
    zoo.export("dcgan", tmp_path / "g.onnx", opset=17)
    assert [entry.version for entry in onnx.load(str(tmp_path / "g.onnx")).opset_import if entry.domain == ""] == [17]


@pytest.fixture
def translator_files(tmp_path):
    """Tiny Pix2Pix and CycleGAN networks with random weights, saved as files zoo.load reads."""
    from zoo.weights import save_weights

    paths = {}
    for family in ("pix2pix", "cyclegan"):
        torch.manual_seed(0)
        arch = get_registry().architecture(family)
        handle = zoo.build(family, **arch.tiny_config)
        paths[family] = tmp_path / f"{family}.safetensors"
        save_weights(paths[family], handle.generator.state_dict(), family=family, config=handle.config)
    return paths


@pytest.mark.parametrize(("family", "direction"), [("pix2pix", None), ("cyclegan", "a2b"), ("cyclegan", "b2a")])
@pytest.mark.parametrize("suffix", [".onnx", ".pt2"])
def test_a_translator_exports_for_any_batch_and_size_its_strides_allow(translator_files, family, direction, suffix):
    """The batch is dynamic everywhere (a .pt2 once took one image). H and W too, except in a U-Net's .pt2.

    torch.export assumes no size it traces is 1, and Pix2Pix's bottleneck is 1×1 at its trained size: its
    program keeps the trained H and W (traced at another size, it refused the trained one). ONNX takes any size.
    """
    path = translator_files[family]
    output = zoo.export(str(path), path.with_suffix(suffix), direction=direction)
    handle = zoo.load(str(path), dtype="float32")
    network, _, (in_channels, _) = handle.translator(direction)
    size = handle.config["resolution"]
    fixed_size = family == "pix2pix" and suffix == ".pt2"
    for shape in ((3, size, size),) if fixed_size else ((3, size, size), (1, size * 2, size * 3)):
        image = torch.rand(shape[0], in_channels, *shape[1:], generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            expected = network.eval()(image).numpy()
        if suffix == ".onnx":
            got = ort.InferenceSession(str(output)).run(None, {"image": image.numpy()})[0]
        else:
            got = torch.export.load(str(output)).module()(image).detach().numpy()
        assert got.shape == expected.shape
        grey_levels = np.abs(np.round(got * 255) - np.round(expected * 255))
        assert grey_levels.max() <= 1, (shape, grey_levels.max())


TRANSLATORS = sorted(
    name
    for name, spec in get_registry().checkpoints.items()
    if spec.bundled and get_registry().architectures[spec.family].task == "image-to-image"
    and not name.startswith("style-transfer-")  # test_style_network_exports_and_matches covers the style networks
)  # fmt: skip


def _translations(name: str) -> list[tuple[str | None, int]]:
    """(direction, input channels) of every way the checkpoint translates."""
    handle = zoo.load(name, dtype="float32")
    return [(d, handle.translator(d)[2][0]) for d in handle.generator.directions]


@pytest.mark.parametrize("name", TRANSLATORS)
@pytest.mark.slow
def test_a_bundled_translator_agrees_from_the_cli_python_and_onnxruntime(zoo_cli, tmp_path, name):
    """The issue's offline trio: zoo translate, handle.translate and the exported ONNX graph, within 1 grey level."""
    from PIL import Image
    from zoo.image_io import to_tensor

    photo = Image.open(Path(__file__).parent / "data" / "chelsea-96.png").resize((64, 64))
    handle = zoo.load(name, dtype="float32")
    for direction, in_channels in _translations(name):
        picture = photo.convert("L" if in_channels == 1 else "RGB")
        picture.save(tmp_path / "in.png")
        result = zoo_cli("translate", name, "in.png", "-o", f"{direction}.png", "--direction", direction)
        assert result.returncode == 0, result.stderr
        from_cli = np.asarray(Image.open(tmp_path / f"{direction}.png"), dtype=int)
        from_python = np.asarray(handle.translate(picture, direction=direction), dtype=int)
        graph = zoo.export(name, tmp_path / f"{direction}.onnx", direction=direction)
        feeds = {"image": to_tensor(picture, in_channels).numpy()}
        output = ort.InferenceSession(str(graph)).run(None, feeds)[0][0]
        from_onnx = np.round(np.clip(output, 0, 1) * 255).astype(int).transpose(1, 2, 0)
        from_onnx = from_onnx[..., 0] if from_onnx.shape[-1] == 1 else from_onnx  # a grey PNG has no channel axis
        for other in (from_python, from_onnx):
            assert other.shape == from_cli.shape and np.abs(other - from_cli).max() <= 1, (name, direction)
