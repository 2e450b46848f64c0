"""Where each training batch comes from: one uint8 tensor in memory, or DataLoader workers reading lazily.

Both hand the trainer the same uint8 images for the same batch number, because both take their
indices from the ``BatchSchedule`` (a pure function of seed, step and rank) and prepare each image
the same way (channels, then resizing). So the choice changes memory and speed, never the run:
``data_loading=auto`` keeps data in memory when it fits a quarter of the memory this process may use
(shared among the node's ranks: ``memory_budget``) and streams it otherwise. The translation trainer's
loader (``translation_streaming``) streams through the same ``StreamedBatches``, its items being pairs.
"""

from __future__ import annotations

import os
import signal
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from zoo.data import is_lazy_only
from zoo.data_formats import is_torchvision_spec, one_line
from zoo.errors import ZooError, ZooWarning, warn
from zoo.hardware import available_memory
from zoo.sources import CompressedMember, ImageSource, checked_labels, open_source
from zoo.training.data import BatchSchedule, ImageData, load_training_data, match_channels, resize_images
from zoo.training.settings import TrainSettings

MEMORY_SHARE = 4  # in-memory data may take at most 1/MEMORY_SHARE of the memory left to this node's ranks


@dataclass
class Batches:
    """The training images batch by batch; ``description`` says how (printed at the start of a run)."""

    schedule: BatchSchedule
    labels: torch.Tensor | None
    classes: tuple[str, ...]
    description: str

    def images(self, index: int) -> torch.Tensor:
        """uint8 (B, C, R, R) images of batch number ``index``."""
        raise NotImplementedError

    def batch(self, index: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(uint8 images, int64 labels or None) of batch number ``index``."""
        indices = self.schedule.indices(index)
        return self.images(index), (self.labels[indices] if self.labels is not None else None)

    def close(self) -> None:
        """Stop any worker processes."""


class MemoryBatches(Batches):
    """Batches indexed out of one uint8 tensor."""

    def __init__(self, data: ImageData, schedule: BatchSchedule, description: str) -> None:
        super().__init__(schedule, data.labels, data.classes, description)
        self.data = data

    def images(self, index: int) -> torch.Tensor:
        return self.data.images[self.schedule.indices(index)]


class WorkerFailure:
    """An error raised in a worker, carried to the main process as its one-line message."""

    def __init__(self, message: str) -> None:
        self.message = message


class _PreparedImages(Dataset):
    """Image ``i`` of a source at the model's channels and resolution, as uint8 (C, R, R)."""

    def __init__(self, source: ImageSource, resolution: int, channels: int) -> None:
        self.source, self.resolution, self.channels = source, resolution, channels

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> torch.Tensor | WorkerFailure:
        try:
            return prepare_image(self.source.read(index), self.resolution, self.channels, self.source.spec)
        except ZooError as exc:
            return WorkerFailure(str(exc))
        except Exception as exc:  # noqa: BLE001 - a worker's traceback must not reach the user
            return WorkerFailure(f"{self.source.spec}: reading image {index} failed ({one_line(exc)})")


def prepare_image(image: np.ndarray, resolution: int, channels: int, spec: str) -> torch.Tensor:
    """(H, W, C) uint8 -> (C, R, R) uint8, converted and resized exactly as the in-memory loader does."""
    image = np.ascontiguousarray(image) if image.flags.writeable else image.copy()  # pread bytes are read-only
    x = torch.from_numpy(image).permute(2, 0, 1).unsqueeze(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZooWarning)  # said once by the main process, not per image
        x = match_channels(x, channels, spec)
    if x.shape[-2:] != (resolution, resolution):
        if x.shape[-2] != x.shape[-1]:
            raise ZooError(f"{spec}: an image is {tuple(x.shape[-2:])}, not square: crop the images to squares first")
        x = resize_images(x, resolution)
    return x[0].contiguous()


def _stack(items: list[torch.Tensor | WorkerFailure]) -> torch.Tensor | WorkerFailure:
    failure = next((item for item in items if isinstance(item, WorkerFailure)), None)
    return failure if failure is not None else torch.stack(items)


def _worker_init(_: int) -> None:
    """Workers leave Ctrl-C and SIGTERM to the trainer, which checkpoints and then stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class _ScheduledIndices(Sampler[list[int]]):
    """The schedule's batches ``start``, ``start + 1``, … ``stop - 1``, as lists of dataset indices."""

    def __init__(self, schedule: BatchSchedule, start: int, stop: int) -> None:
        self.schedule, self.start, self.stop = schedule, start, stop

    def __iter__(self) -> Iterator[list[int]]:
        for index in range(self.start, self.stop):
            yield self.schedule.indices(index).tolist()

    def __len__(self) -> int:
        return self.stop - self.start


class StreamedBatches(Batches):
    """Batches read, decoded and resized by ``workers`` DataLoader processes, a few batches ahead.

    ``collate`` joins a batch's items (image pairs, for the translation trainer) or returns a ``WorkerFailure``.
    """

    def __init__(
        self,
        dataset: Dataset,
        schedule: BatchSchedule,
        labels,
        classes,
        workers: int,
        stop: int,
        description,
        collate: Callable[[list[Any]], Any] = _stack,
    ) -> None:
        super().__init__(schedule, labels, classes, description)
        self.dataset, self.workers, self.stop, self.collate = dataset, workers, stop, collate
        self._iterator: Iterator | None = None
        self._next = -1

    def _start(self, index: int) -> None:
        self.close()
        loader = DataLoader(
            self.dataset,
            batch_sampler=_ScheduledIndices(self.schedule, index, max(self.stop, index + 1)),
            num_workers=self.workers,
            collate_fn=self.collate,
            worker_init_fn=_worker_init if self.workers else None,
            prefetch_factor=2 if self.workers else None,
        )
        self._iterator, self._next = iter(loader), index

    def images(self, index: int) -> torch.Tensor:
        if self._iterator is None or index != self._next:
            self._start(index)  # the first batch, or a jump (a resume): restart the workers there
        try:
            batch = next(self._iterator)
        except StopIteration:
            self._start(index)
            batch = next(self._iterator)
        except RuntimeError as exc:  # a worker killed from outside (out of memory, a signal)
            raise ZooError(f"a data worker stopped ({one_line(exc)}): try --set data_workers=0") from None
        self._next = index + 1
        if isinstance(batch, WorkerFailure):
            raise ZooError(batch.message)
        return batch

    def close(self) -> None:
        if self._iterator is not None:
            shutdown = getattr(self._iterator, "_shutdown_workers", None)
            if shutdown is not None:
                shutdown()
            self._iterator = None


def _local_ranks() -> int:
    return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))


def memory_budget() -> int:
    """Bytes in-memory data may take: 1/MEMORY_SHARE of what this process may use, shared among the node's ranks."""
    return available_memory() // (MEMORY_SHARE * _local_ranks())


def _in_memory_bytes(source: ImageSource, resolution: int, channels: int) -> int:
    """Peak bytes of reading ``source`` into memory: its images at their own size plus the resized copy."""
    height, width, own_channels = source.read(0).shape
    return len(source) * (height * width * own_channels + resolution * resolution * channels)


def open_batches(
    spec: str, resolution: int, channels: int, num_classes: int, settings: TrainSettings, rank: int = 0, world: int = 1
) -> Batches:
    """The run's batches from ``spec``, in memory or streamed, as ``settings.data_loading`` says."""
    source, loading = None, settings.data_loading
    if not is_torchvision_spec(spec):
        try:
            source = open_source(spec, class_folders=bool(num_classes))
        except CompressedMember as exc:
            if loading == "stream":
                raise ZooError(f"{exc}: re-save it with numpy.savez to stream it, or use data_loading=memory") from None
    if source is not None and loading != "memory":
        needed = _in_memory_bytes(source, resolution, channels)
        budget = memory_budget()
        if loading == "stream" or needed > budget:
            why = (
                "as set"
                if loading == "stream"
                else f"{needed / 2**20:,.0f} MiB in memory would exceed {budget / 2**20:,.0f} MiB"
            )
            return _streamed(source, resolution, channels, num_classes, settings, rank, world, why)
    data = _in_memory(spec, source, resolution, channels, num_classes)
    schedule = BatchSchedule(len(data), settings.batch_size, settings.seed, rank, world)
    size = data.images.numel() / 2**20
    return MemoryBatches(data, schedule, f"in memory ({len(data):,} images, {size:,.0f} MiB)")


def _warn_conversions(source: ImageSource, resolution: int, channels: int) -> None:
    """Say once, in the main process, what every image will go through (workers convert silently)."""
    if source.channels != channels:
        match_channels(torch.zeros(1, source.channels, 1, 1, dtype=torch.uint8), channels, source.spec)
    size = source.read(0).shape[:2]
    if size != (resolution, resolution):
        warn(f"resizing {size} images to {resolution}x{resolution}")


def _streamed(
    source: ImageSource, resolution: int, channels: int, num_classes: int, settings: TrainSettings, rank, world, why
) -> Batches:
    _warn_conversions(source, resolution, channels)
    labels = torch.from_numpy(checked_labels(source, num_classes).astype(np.int64)) if num_classes else None
    schedule = BatchSchedule(len(source), settings.batch_size, settings.seed, rank, world)
    workers = settings.data_workers
    by = f"{workers} DataLoader worker{'s' if workers != 1 else ''}" if workers else "the main process"
    description = f"streamed by {by} ({len(source):,} images; {why})"
    dataset = _PreparedImages(source, resolution, channels)
    classes = source.classes if num_classes else ()
    stop = settings.steps * settings.n_critic
    return StreamedBatches(dataset, schedule, labels, classes, workers, stop, description)


def _in_memory(spec: str, source: ImageSource | None, resolution: int, channels: int, num_classes: int) -> ImageData:
    """All images as one tensor: the classic loader, or the lazy source read whole (shards, Hub datasets)."""
    conditional = bool(num_classes)
    if source is None or not is_lazy_only(spec):
        return load_training_data(
            spec, resolution, conditional=conditional, num_classes=num_classes or None, channels=channels
        )
    _warn_conversions(source, resolution, channels)
    images = torch.stack([prepare_image(source.read(i), resolution, channels, spec) for i in range(len(source))])
    labels = torch.from_numpy(checked_labels(source, num_classes).astype(np.int64)) if conditional else None
    return ImageData(images, labels, source.classes if conditional else ())
