"""Translation data streamed by DataLoader workers trains the same weights as the same data held in memory.

Every format (pairs in an .npz of JPEG members, A/ and B/ folders, side-by-side files; two domains as
trainA/ and trainB/ folders or as _jpeg + _offsets members) is trained a few steps with
``data_loading=memory`` and with ``data_loading=stream``: the checkpoints must be byte-identical. ``auto``
streams when the data would not fit the memory rule, and a corrupt image in streamed data is one line.
Toy networks (two convolutions) stand in for Pix2Pix and CycleGAN, so a step takes milliseconds.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
import zoo
from PIL import Image
from translation_toys import toy_plugin
from zoo import ZooError
from zoo.training.settings import TrainSettings
from zoo.training.translation_batches import TranslationBatches
from zoo.training.translation_streaming import StreamedTranslationBatches, open_translation_batches

PIX = {"loss": "bce", "batch_size": 3, "l1_weight": 100.0, "ema_decay": 0.0, "load_size": 18, "steps": 4}
CYCLE = {
    "loss": "lsgan", "batch_size": 3, "cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 2,
    "ema_decay": 0.0, "steps": 4, "load_size": 18,
}  # fmt: skip
FAMILIES = (("stream-pix", "OneWay", "ConditionalCritic", PIX), ("stream-cycle", "TwoWay", "TwoCritics", CYCLE))
QUIET = {"sample_every": 1000, "checkpoint_every": 1000, "log_every": 1}


@pytest.fixture
def toys(zoo_registered_plugin):
    with zoo_registered_plugin(toy_plugin(FAMILIES)):
        yield


def _images(n: int, width: int, seed: int) -> np.ndarray:
    """Smooth random images (JPEG keeps their content), 20 px high."""
    coarse = np.random.default_rng(seed).integers(0, 256, (n, 5, width // 4, 3), dtype=np.uint8)
    return coarse.repeat(4, axis=1).repeat(4, axis=2)


def _encoded(image: np.ndarray, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt)
    return buffer.getvalue()


def _members(name: str, images: np.ndarray) -> dict[str, np.ndarray]:
    """``name_jpeg`` + ``name_offsets``, as horse2zebra128.npz stores each domain."""
    blobs = [_encoded(image) for image in images]
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    return {f"{name}_jpeg": np.frombuffer(b"".join(blobs), np.uint8), f"{name}_offsets": offsets}


def _save(folder: Path, images: np.ndarray, suffix: str = ".png") -> None:
    folder.mkdir(parents=True)
    for i, image in enumerate(images):
        (folder / f"{i:03d}{suffix}").write_bytes(_encoded(image, "PNG" if suffix == ".png" else "JPEG"))


def _paired_npz(root: Path) -> Path:
    a = _images(7, 20, 0)
    np.savez(root / "pairs.npz", **_members("A", a), **_members("B", 255 - a))
    return root / "pairs.npz"


def _paired_folders(root: Path) -> Path:
    a = _images(7, 20, 1)
    _save(root / "pairs" / "A", a, ".jpg")
    _save(root / "pairs" / "B", 255 - a, ".jpg")
    return root / "pairs"


def _side_by_side(root: Path) -> Path:
    a = _images(7, 20, 2)
    _save(root / "facades" / "train", np.concatenate([a, 255 - a], axis=2), ".jpg")
    return root / "facades"


def _domain_folders(root: Path) -> Path:
    _save(root / "domains" / "trainA", _images(7, 20, 3))
    _save(root / "domains" / "trainB", _images(5, 20, 4), ".jpg")
    return root / "domains"


def _domain_npz(root: Path) -> Path:
    np.savez(root / "h2z.npz", **_members("trainA", _images(7, 20, 5)), **_members("trainB", _images(5, 20, 6)))
    return root / "h2z.npz"


def _checkpoint(run: Path) -> bytes:
    return (run / "checkpoint.safetensors").read_bytes()


def _train(family: str, data: Path, out: Path, **settings) -> None:
    zoo.train(family, data, out, settings=QUIET | settings, quiet=True, say=lambda _: None)


@pytest.mark.parametrize(
    ("family", "make", "workers"),
    [
        ("stream-pix", _paired_npz, 1),
        ("stream-pix", _paired_folders, 0),
        ("stream-pix", _side_by_side, 1),
        ("stream-cycle", _domain_folders, 0),
        ("stream-cycle", _domain_npz, 2),
    ],
)
def test_streamed_and_in_memory_runs_end_with_identical_checkpoints(toys, tmp_path, family, make, workers):
    data = make(tmp_path)
    _train(family, data, tmp_path / "memory", data_loading="memory")
    _train(family, data, tmp_path / "stream", data_loading="stream", data_workers=workers)
    assert _checkpoint(tmp_path / "memory") == _checkpoint(tmp_path / "stream")


def test_a_streamed_run_resumed_midway_equals_one_in_memory(toys, tmp_path):
    """The workers restart at the resumed step and read exactly the images the schedule names."""
    data = _domain_npz(tmp_path)
    _train("stream-cycle", data, tmp_path / "memory", data_loading="memory")
    settings = QUIET | {"data_loading": "stream", "data_workers": 1}
    zoo.train("stream-cycle", data, tmp_path / "halves", settings=settings, until=2, quiet=True, say=lambda _: None)
    zoo.train("stream-cycle", data, tmp_path / "halves", resume=True, quiet=True, say=lambda _: None)
    assert _checkpoint(tmp_path / "memory") == _checkpoint(tmp_path / "halves")


@pytest.mark.filterwarnings("ignore::zoo.errors.ZooWarning")  # "converting RGB images to grayscale"
def test_grey_to_rgb_and_rgb_to_grey_conversions_match_between_loaders(tmp_path):
    """Channels are converted per image when streamed and per side in memory: the same bytes either way."""
    a = _images(6, 20, 7)
    np.savez(tmp_path / "grey.npz", A=a[..., 0], B=a)
    options = {"crop_size": 16}
    for channels in ((3, 1), (1, 3)):
        memory = open_translation_batches(str(tmp_path / "grey.npz"), channels, _settings("memory"), **options)
        stream = open_translation_batches(str(tmp_path / "grey.npz"), channels, _settings("stream"), **options)
        assert isinstance(memory, TranslationBatches) and isinstance(stream, StreamedTranslationBatches)
        for step in range(3):
            expected, got = memory.images(step), stream.images(step)
            assert all(torch.equal(x, y) for x, y in zip(expected, got, strict=True))
        stream.close()


def _settings(loading: str, **extra) -> TrainSettings:
    return TrainSettings(data_loading=loading, data_workers=0, batch_size=4, load_size=18, steps=3, **extra)


@pytest.mark.parametrize(("memory", "expected"), [(1 << 40, "in memory"), (4096, "streamed by the main process")])
def test_auto_streams_what_would_not_fit_the_memory_rule(tmp_path, monkeypatch, memory, expected):
    monkeypatch.setattr("zoo.training.streaming.available_memory", lambda: memory)
    batches = open_translation_batches(str(_domain_npz(tmp_path)), (3, 3), _settings("auto"), crop_size=16)
    try:
        assert expected in batches.description
        if memory == 4096:
            assert "MiB in memory would exceed 0 MiB" in batches.description
    finally:
        batches.close()


def test_the_data_line_says_the_run_streamed(toys, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("zoo.training.streaming.available_memory", lambda: 4096)
    zoo.train("stream-pix", _paired_npz(tmp_path), tmp_path / "run", settings=QUIET | {"data_workers": 0, "steps": 1})
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("data: ")]
    assert len(lines) == 1 and "7 A and 7 B pairs" in lines[0] and "streamed by the main process" in lines[0]


def _corrupt(path: Path, member: str, index: int) -> None:
    """Overwrite image ``index`` of ``member`` with bytes no decoder reads."""
    with np.load(path) as archive:
        members = {key: archive[key] for key in archive.files}
    blob, offsets = members[f"{member}_jpeg"].copy(), members[f"{member}_offsets"]
    blob[offsets[index] : offsets[index + 1]] = 7
    members[f"{member}_jpeg"] = blob
    np.savez(path, **members)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_corrupt_streamed_image_is_one_line_naming_member_and_index(toys, tmp_path, capfd, workers):
    data = _domain_npz(tmp_path)
    _corrupt(data, "trainB", 3)
    with pytest.raises(ZooError) as caught:
        _train("stream-cycle", data, tmp_path / "run", data_loading="stream", data_workers=workers, batch_size=5)
    message = str(caught.value)
    assert "\n" not in message and f"{data} trainB_jpeg[3]: the image could not be decoded" in message
    assert "Traceback" not in capfd.readouterr().err
