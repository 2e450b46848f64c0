"""Streamed training data: every format gives the batches the in-memory loader gives, runs resume to the bit."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from zoo.errors import ZooError
from zoo.registry import get_registry
from zoo.sources import open_source
from zoo.training.settings import TrainSettings, resolve_settings
from zoo.training.streaming import open_batches
from zoo.training.trainer import Trainer

RNG = np.random.default_rng(7)
IMAGES = RNG.integers(0, 256, size=(24, 12, 12, 3), dtype=np.uint8)  # 12 px: every format is resized to 8
LABELS = np.arange(24) % 3
CLASSES = ("cat", "dog", "owl")


def _png(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


def write_tar_shards(root: Path, images: np.ndarray, labels: np.ndarray | None, shards: int = 2) -> Path:
    """WebDataset-style shards: KEY.png (+ KEY.cls) per sample."""
    root.mkdir(parents=True)
    for shard, part in enumerate(np.array_split(np.arange(len(images)), shards)):
        with tarfile.open(root / f"part-{shard:05d}.tar", "w") as tar:
            for i in part:
                members = {f"{i:06d}.png": _png(images[i])}
                if labels is not None:
                    members[f"{i:06d}.cls"] = str(int(labels[i])).encode()
                for name, blob in members.items():
                    info = tarfile.TarInfo(name)
                    info.size = len(blob)
                    tar.addfile(info, io.BytesIO(blob))
    return root


def write_parquet(path: Path, images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...]) -> Path:
    """One Parquet shard as the ``datasets`` library writes it (Image structs, a ClassLabel column)."""
    datasets = pytest.importorskip("datasets")
    features = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=list(classes))})
    rows = {"image": [Image.fromarray(image) for image in images], "label": [int(v) for v in labels]}
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_dict(rows, features=features).to_parquet(str(path), batch_size=10)  # 3 row groups
    return path


def _write(kind: str, root: Path) -> Path:
    if kind == "npz":
        np.savez(root / "d.npz", images=IMAGES, labels=LABELS, classes=np.array(CLASSES))
        return root / "d.npz"
    if kind == "npz-jpeg":
        blobs = [_png(image) for image in IMAGES]
        offsets = np.cumsum([0, *map(len, blobs)])
        jpeg = np.frombuffer(b"".join(blobs), np.uint8)
        np.savez(root / "j.npz", train_jpeg=jpeg, train_offsets=offsets, train_labels=LABELS, classes=np.array(CLASSES))
        return root / "j.npz"
    if kind == "folders":
        for i, (image, label) in enumerate(zip(IMAGES, LABELS, strict=True)):
            (root / "f" / CLASSES[label]).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(root / "f" / CLASSES[label] / f"{i:03d}.png")
        return root / "f"
    if kind == "tar":
        return write_tar_shards(root / "shards", IMAGES, LABELS)
    return write_parquet(root / "pq" / "train-00000-of-00001.parquet", IMAGES, LABELS, CLASSES).parent


@pytest.mark.parametrize("kind", ["npz", "npz-jpeg", "folders", "tar", "parquet"])
def test_every_format_streams_the_batches_the_in_memory_loader_gives(kind, tmp_path):
    data = str(_write(kind, tmp_path))
    batches = {}
    for loading, workers in (("memory", 0), ("stream", 2), ("stream", 0)):
        settings = TrainSettings(batch_size=5, seed=3, steps=6, data_loading=loading, data_workers=workers)
        with pytest.warns(Warning, match="resizing"):
            opened = open_batches(data, 8, 3, 3, settings)
        try:
            batches[loading, workers] = [opened.batch(i) for i in (0, 1, 2, 3, 4, 5)]  # 6 batches: past one epoch
        finally:
            opened.close()
        assert ("streamed" in opened.description) == (loading == "stream")
    reference = batches["memory", 0]
    for key, seen in batches.items():
        for (images, labels), (want_images, want_labels) in zip(seen, reference, strict=True):
            assert images.dtype == torch.uint8 and images.shape == (5, 3, 8, 8), key
            assert torch.equal(images, want_images), key
            assert torch.equal(labels, want_labels), key
    if kind in ("npz", "folders", "parquet"):
        assert open_source(data, class_folders=True).classes == CLASSES


TINY = {"batch_size": "8", "model.width": "4", "model.z_dim": "8", "log_every": "1", "sample_every": "2"}


def _trainer(data: Path, out: Path, **extra: str) -> Trainer:
    arch = get_registry().architecture("dcgan")
    settings = resolve_settings(arch, None, {**TINY, "checkpoint_every": "2", **extra})
    settings.steps = 4
    out.mkdir(exist_ok=True)
    return Trainer(arch, settings, str(data), out, device="cpu", quiet=True, command="zoo train dcgan (test)")


@pytest.mark.filterwarnings("ignore:resizing")
def test_a_streamed_run_killed_and_resumed_equals_an_in_memory_run(tmp_path):
    data = tmp_path / "d.npz"
    np.savez(data, images=RNG.integers(0, 256, size=(40, 40, 40, 3), dtype=np.uint8))  # resized to 32
    straight = _trainer(data, tmp_path / "memory", data_loading="memory")
    straight.run()
    killed = _trainer(data, tmp_path / "streamed", data_loading="stream", data_workers="2")
    save = killed.save

    def save_then_die() -> None:
        save()
        if killed.step == 2:
            raise KeyboardInterrupt  # the process dies right after the checkpoint of step 2

    killed.save = save_then_die
    with pytest.raises(KeyboardInterrupt):
        killed.run()
    resumed = _trainer(data, tmp_path / "streamed", data_loading="stream", data_workers="2")
    resumed.resume()
    resumed.run()
    for name, module in straight._modules().items():
        theirs = resumed._modules()[name].state_dict().values()
        for (key, a), b in zip(module.state_dict().items(), theirs, strict=True):
            assert torch.equal(a, b), f"{name}.{key}"


def test_a_damaged_image_in_a_worker_is_a_one_line_error(tmp_path):
    shards = write_tar_shards(tmp_path / "shards", IMAGES[:16], None, shards=1)
    with tarfile.open(shards / "part-00000.tar", "a") as tar:
        info = tarfile.TarInfo("999999.png")
        info.size = 9
        tar.addfile(info, io.BytesIO(b"not a png"))
    settings = TrainSettings(batch_size=17, steps=1, data_loading="stream", data_workers=1)
    with pytest.warns(Warning, match="resizing"):
        batches = open_batches(str(shards), 8, 3, 0, settings)
    try:
        with pytest.raises(ZooError) as caught:
            batches.batch(0)
    finally:
        batches.close()
    message = str(caught.value)
    assert "\n" not in message and "could not be decoded" in message and "part-00000.tar" in message


def test_stream_refuses_a_compressed_npz_in_one_line(tmp_path):
    np.savez_compressed(tmp_path / "c.npz", images=IMAGES)
    settings = TrainSettings(batch_size=4, data_loading="stream")
    with pytest.raises(ZooError, match=r"compressed .*numpy\.savez to stream it, or use data_loading=memory"):
        open_batches(str(tmp_path / "c.npz"), 8, 3, 0, settings)
    assert len(open_batches(str(tmp_path / "c.npz"), 12, 3, 0, TrainSettings(batch_size=4)).schedule.sampler) == 24


def test_bad_data_loading_settings_are_refused():
    with pytest.raises(ZooError, match="data_loading must be 'auto', 'memory' or 'stream'"):
        TrainSettings(data_loading="disk").validate()
    with pytest.raises(ZooError, match="data_workers must be greater than or equal to 0"):
        TrainSettings(data_workers=-1).validate()
