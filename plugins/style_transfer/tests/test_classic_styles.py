"""The five bundled classic networks: offline, the original function, held to reference crops."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import zoo
from PIL import Image
from zoo_style_transfer.transformer import TransformerNet

DATA = Path(__file__).parent / "data"
SCRIPTS = Path(__file__).parents[1] / "scripts"
STYLES = ("candy", "mosaic", "pointilism", "rain-princess", "udnie")
CROP = slice(64, 192)  # the centre 128x128 of the 256x256 picture (scripts/make_reference_crops.py)


def _port_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("port_classic_styles", SCRIPTS / "port_classic_styles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def test_every_classic_style_is_bundled_with_the_original_io_convention() -> None:
    registry = zoo.get_registry()
    assert registry.architectures["style-transfer"].default_checkpoint == "style-transfer-candy"
    for style in STYLES:
        spec = registry.checkpoints[f"style-transfer-{style}"]
        assert spec.bundled and not spec.unpublished and spec.source, style
        assert spec.config["pixel_range"] == 255 and spec.config["output"] == "clamp"


@pytest.mark.parametrize("style", STYLES)
def test_bundled_network_reproduces_its_reference_crop(style: str) -> None:
    photo = Image.open(DATA / "amber-256.png")
    ours = _pixels(zoo.load(f"style-transfer-{style}", dtype="float32")(photo))[CROP, CROP]  # the function, exactly
    reference = _pixels(Image.open(DATA / f"amber-256-{style}-crop.png"))
    diff = np.abs(ours - reference)
    assert diff.mean() < 0.25 and diff.max() <= 2, (style, diff.mean(), diff.max())


def test_bf16_fast_path_stays_close_to_fp32() -> None:
    from zoo_style_transfer import stylize

    fp32 = _pixels(stylize(DATA / "amber-256.png", "candy").image)
    bf16 = _pixels(stylize(DATA / "amber-256.png", "candy", dtype="bfloat16").image)
    assert np.abs(fp32 - bf16).mean() < 1.0  # measured 0.35 grey levels on amber at 1080 px


def _original_forward(state: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """pytorch/examples' TransformerNet restated with functional ops on its own key names (0-255 in and out)."""

    def conv(name: str, y: torch.Tensor, stride: int = 1, upsample: bool = False) -> torch.Tensor:
        weight = state[f"{name}.conv2d.weight"].float()
        if upsample:
            y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = F.pad(y, [weight.shape[-1] // 2] * 4, mode="reflect")
        return F.conv2d(y, weight, state[f"{name}.conv2d.bias"].float(), stride=stride)

    def norm(name: str, y: torch.Tensor) -> torch.Tensor:
        return F.instance_norm(y, weight=state[f"{name}.weight"], bias=state[f"{name}.bias"], eps=1e-5)

    y = F.relu(norm("in1", conv("conv1", x)))
    y = F.relu(norm("in2", conv("conv2", y, 2)))
    y = F.relu(norm("in3", conv("conv3", y, 2)))
    for i in range(1, 6):
        y = y + norm(f"res{i}.in2", conv(f"res{i}.conv2", F.relu(norm(f"res{i}.in1", conv(f"res{i}.conv1", y)))))
    y = F.relu(norm("in4", conv("deconv1", y, upsample=True)))
    y = F.relu(norm("in5", conv("deconv2", y, upsample=True)))
    return conv("deconv3", y)


def test_the_family_options_compute_the_original_network_function() -> None:
    """Random weights under pytorch/examples' names, ported by the script's key mapping: same function."""
    port = _port_script()
    torch.manual_seed(0)
    net = TransformerNet(**port.CONFIG)
    convs = ["conv1", "conv2", "conv3", "deconv1", "deconv2", "deconv3"]
    convs += [f"res{i}.conv{j}" for i in range(1, 6) for j in (1, 2)]
    norms = [f"in{i}" for i in range(1, 6)] + [f"res{i}.in{j}" for i in range(1, 6) for j in (1, 2)]
    keys = [f"{c}.conv2d.{p}" for c in convs for p in ("weight", "bias")]
    keys += [f"{n}.{p}" for n in norms for p in ("weight", "bias")]
    ours = net.state_dict()
    examples_state = {key: torch.randn_like(ours[port.zoo_key(key)]) * 0.1 for key in keys}
    net.load_state_dict({port.zoo_key(key): value for key, value in examples_state.items()})  # strict: all keys
    x = torch.rand(1, 3, 40, 48)
    expected = _original_forward(examples_state, x * 255).clamp(0, 255) / 255
    assert torch.allclose(net(x), expected, atol=1e-5)


def test_the_port_refuses_a_source_that_is_not_the_pinned_file(tmp_path: Path) -> None:
    port = _port_script()
    (tmp_path / port.SOURCES["candy"][0]).write_bytes(b"not the network")
    with pytest.raises(SystemExit, match="not the pinned"):
        port.port("candy", tmp_path)
    actual = hashlib.sha256(b"not the network").hexdigest()
    with pytest.raises(SystemExit, match=actual):
        port.port("candy", tmp_path)
