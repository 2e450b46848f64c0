"""Translation data streamed: DataLoader workers read and decode each step's images, a few steps ahead.

They hand the trainer the same uint8 images for a step as the in-memory ``TranslationBatches``: the
same schedule, the same reader (``zoo.translation_sources``) and the same channel conversion (per image
here, per dataset there: it works pixel by pixel); resizing, cropping and flipping stay in the trainer's
process, drawn from the step's generator. So a run's weights do not depend on ``data_loading``:
``auto`` keeps the data in memory when it fits the GAN trainer's rule (``streaming.memory_budget``)
and streams it otherwise. A pair is read as one item, so its two images never part.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo.data_formats import one_line
from zoo.errors import ZooError, ZooWarning
from zoo.sources import CompressedMember, ImageSource
from zoo.training.data import match_channels
from zoo.training.settings import TrainSettings
from zoo.training.streaming import StreamedBatches, WorkerFailure, memory_budget
from zoo.training.translation_batches import AugmentedBatches, TranslationBatches
from zoo.translation_data import TranslationData, load_translation_data
from zoo.translation_sources import TranslationSources, open_translation_sources


def _chw(image: np.ndarray, channels: int, where: str) -> torch.Tensor:
    """(H, W, C) uint8 -> (channels, H, W) uint8, converted as ``as_tensor`` converts a whole side."""
    x = torch.from_numpy(np.array(image)).permute(2, 0, 1).unsqueeze(0)  # a copy: pread bytes are read-only
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZooWarning)  # said once by the trainer's process, not per image
        return match_channels(x, channels, where)[0].contiguous()


class _PairImages(Dataset):
    """Item [a, b]: image a of side A and image b of side B at the model's channels, or the one-line failure."""

    def __init__(self, sources: TranslationSources, channels: tuple[int, int]) -> None:
        self.sources, self.channels = sources, channels

    def __len__(self) -> int:
        return max(len(self.sources.a), len(self.sources.b))

    def _read(self, side: ImageSource, index: int, channels: int, name: str) -> torch.Tensor:
        """One image; an unexpected error becomes a ZooError naming the side and index."""
        try:
            image = side.read(index)
        except ZooError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker's traceback must not reach the user
            raise ZooError(f"{side.spec}: reading {name} image {index} failed ({one_line(exc)})") from None
        return _chw(image, channels, side.spec)

    def __getitem__(self, pair: list[int]) -> tuple[torch.Tensor, torch.Tensor] | WorkerFailure:
        a_index, b_index = pair
        try:
            a = self._read(self.sources.a, a_index, self.channels[0], "A")
            b = self._read(self.sources.b, b_index, self.channels[1], "B")
            if self.sources.paired and a.shape[1:] != b.shape[1:]:
                raise ZooError(
                    f"{self.sources.source}: pair {a_index} differs in size ({tuple(a.shape[1:])} vs "
                    f"{tuple(b.shape[1:])}): make them match"
                )
        except ZooError as exc:
            return WorkerFailure(str(exc))
        return a, b


class _JoinPairs:
    """A DataLoader's collate: [(a, b), …] -> (A batch, B batch), or the first failure (sizes must agree)."""

    def __init__(self, sources: TranslationSources) -> None:
        self.names = (sources.a.spec, sources.b.spec)

    def __call__(self, items: list) -> tuple[torch.Tensor, torch.Tensor] | WorkerFailure:
        failure = next((item for item in items if isinstance(item, WorkerFailure)), None)
        if failure is not None:
            return failure
        sides = []
        for images, where in zip(zip(*items, strict=True), self.names, strict=True):
            shapes = sorted({tuple(x.shape) for x in images})
            if len(shapes) > 1:
                return WorkerFailure(f"{where}: images have different sizes {shapes[:3]}: resize them to one size")
            sides.append(torch.stack(images))
        return sides[0], sides[1]


class _PairSchedule:
    """Each step's [A index, B index] items, for the loader's sampler (which runs in the trainer's process)."""

    def __init__(self, batches: AugmentedBatches) -> None:
        self.batches = batches

    def indices(self, step: int) -> np.ndarray:
        a_index, b_index = self.batches.indices(step)
        return np.stack([np.asarray(a_index), np.asarray(b_index)], axis=1)


class StreamedTranslationBatches(AugmentedBatches):
    """Both sides read lazily, each step's images decoded by ``workers`` DataLoader processes (0: this one)."""

    def __init__(
        self,
        sources: TranslationSources,
        channels: tuple[int, int],
        *,
        workers: int,
        stop: int,
        why: str,
        crop_size: int,
        load_size: int,
        flip: bool,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        two_domains: bool = False,
    ) -> None:
        self.sources, self.channels = sources, channels
        self.paired, self.sizes = sources.paired, (len(sources.a), len(sources.b))
        self._configure(crop_size, load_size, flip, batch_size, seed, rank, world, two_domains)
        first = sources.read_pair(0, 0)
        for image, count, side in zip(first, channels, (sources.a, sources.b), strict=True):
            match_channels(torch.zeros(1, image.shape[-1], 1, 1, dtype=torch.uint8), count, side.spec)  # warn once
        by = f"{workers} DataLoader worker{'s' if workers != 1 else ''}" if workers else "the main process"
        self.description = self._describe(sources.source, first[0].shape[:2], channels, f"streamed by {by} ({why})")
        dataset = _PairImages(sources, channels)
        self.loader = StreamedBatches(
            dataset, _PairSchedule(self), None, (), workers, stop, self.description, collate=_JoinPairs(sources)
        )

    def images(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.loader.images(step)  # type: ignore[misc] - _JoinPairs makes each batch a pair
        return a, b

    def head(self, n: int) -> TranslationData:
        a, b = (side.read_many(range(min(n, len(side)))) for side in (self.sources.a, self.sources.b))
        return TranslationData(a, b, self.sources.layout, self.sources.split, self.sources.source)

    def close(self) -> None:
        self.loader.close()


def _in_memory_bytes(sources: TranslationSources, channels: tuple[int, int]) -> int:
    """Peak bytes of holding both sides in memory: the decoded images plus their copy at the model's channels."""
    total = 0
    for side, count in zip((sources.a, sources.b), channels, strict=True):
        height, width, own = side.read(0).shape
        total += len(side) * height * width * (own + count)
    return total


def open_translation_batches(
    data: str,
    channels: tuple[int, int],
    settings: TrainSettings,
    *,
    crop_size: int,
    rank: int = 0,
    world: int = 1,
    two_domains: bool = False,
) -> AugmentedBatches:
    """The run's training batches, in memory or streamed as ``settings.data_loading`` says (auto: by size).

    ``two_domains`` reads paired data as two unpaired domains (each side in its own order), as a two-way model does.
    """
    s, sources = settings, None
    options = {
        "crop_size": crop_size, "load_size": s.load_size, "flip": s.flip, "batch_size": s.batch_size,
        "seed": s.seed, "rank": rank, "world": world, "two_domains": two_domains,
    }  # fmt: skip
    if s.data_loading != "memory":
        try:
            sources = open_translation_sources(data, "train")
        except CompressedMember as exc:
            if s.data_loading == "stream":
                raise ZooError(f"{exc}: re-save it with numpy.savez to stream it, or use data_loading=memory") from None
    if sources is not None:
        needed, budget = _in_memory_bytes(sources, channels), memory_budget()
        if s.data_loading == "stream" or needed > budget:
            why = "as set" if s.data_loading == "stream" else (
                f"{needed / 2**20:,.0f} MiB in memory would exceed {budget / 2**20:,.0f} MiB"
            )  # fmt: skip
            return StreamedTranslationBatches(
                sources, channels, workers=s.data_workers, stop=s.steps, why=why, **options
            )  # fmt: skip
    return TranslationBatches(load_translation_data(data, "train"), channels, **options)
