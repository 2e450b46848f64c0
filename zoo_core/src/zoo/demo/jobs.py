"""What each button of the demo does, as plain functions of plain values (no Gradio here, so tests call them).

Every function checks its inputs against the catalog and the limits, raises a one-line ``ZooError`` for the
page to show, and returns numpy images or PIL pictures plus the ``zoo`` command that makes the same picture.
Models are loaded once per process and kept (``Models``); requests only ever name registered checkpoints.
"""

from __future__ import annotations

import shlex
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.demo.catalog import Catalog
from zoo.demo.limits import Limits, check_count
from zoo.errors import ZooError

if TYPE_CHECKING:
    from PIL import Image

    from zoo.model import ModelHandle

MAX_SEED = 2**32 - 1
"""Seeds the page accepts: a browser's number loses integers above 2**53, so the page keeps to 32 bits."""
EXAMPLES_DIR = Path(__file__).parent / "examples"
EXAMPLES = {path.stem: path for path in sorted(EXAMPLES_DIR.glob("*.jpg"))}
"""Bundled photos (CC0, see examples/README.md), offered by name: a request never names a path."""
KEPT_FILES = 64
"""Result files kept in the demo's folder; Gradio copies each into its own cache when it is shown."""
DISPLAY_CELL = 128
"""Small images are enlarged (nearest neighbour, ``--scale``) until a cell is at least this many pixels wide."""


class Models:
    """Models loaded once and kept: the first request for a checkpoint loads it, every later one reuses it."""

    def __init__(self, load: Callable[[str], ModelHandle] | None = None) -> None:
        self._load = load
        self._handles: dict[str, ModelHandle] = {}
        self._lock = threading.Lock()
        self.loads = 0  # how many times a model was read from disk (tests and the benchmark check it stays 1)

    def get(self, name: str) -> ModelHandle:
        """The handle of a registered checkpoint, loaded on first use."""
        with self._lock:
            handle = self._handles.get(name)
            if handle is None:
                if self._load is None:
                    from zoo.api import load

                    handle = load(name, download=False)
                else:
                    handle = self._load(name)
                self._handles[name] = handle
                self.loads += 1
            return handle


@dataclass
class Picture:
    """An image for the page, the PNG file its download button offers, and how to make it without the demo."""

    image: np.ndarray
    png: Path
    command: str


class Demo:
    """The demo's state: its catalog, limits, loaded models and the folder its downloadable files go to."""

    def __init__(self, catalog: Catalog, limits: Limits, models: Models | None = None) -> None:
        self.catalog = catalog
        self.limits = limits
        self.models = models or Models()
        # under the system temp dir, which Gradio may serve results from; only files made here go there.
        # A TemporaryDirectory removes itself when the demo is collected or the process exits: a
        # bare mkdtemp left one folder of pictures behind per `zoo demo` run (and per test).
        self._out = tempfile.TemporaryDirectory(prefix="zoo-demo-")
        self.out_dir = Path(self._out.name)

    def close(self) -> None:
        """Remove the result folder: the server that offered its files has stopped."""
        self._out.cleanup()

    def _png(self, image: np.ndarray, stem: str) -> Path:
        """The picture as a PNG file for the download button (what ``zoo sample -o grid.png`` writes)."""
        from zoo.images import save_png

        self._prune()
        path = self.out_dir / f"{stem}-{uuid.uuid4().hex[:8]}.png"
        save_png(path, image)
        return path

    def _prune(self) -> None:
        """Keep the newest KEPT_FILES results (the page has already copied older ones): a long run stays bounded."""
        files = sorted(self.out_dir.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        for old in files[: max(0, len(files) - KEPT_FILES + 1)]:
            old.unlink(missing_ok=True)

    def _truncation(self, name: str, value: float | None) -> float | None:
        """ψ from the slider: 1 (or nothing) means no truncation; below 1 only for models that support it."""
        if value is None:
            return None
        try:
            psi = float(value)
        except (TypeError, ValueError):
            raise ZooError(f"truncation must be a number in (0, 1], got {value!r}") from None
        if not 0 < psi <= 1:
            raise ZooError(f"truncation must be in (0, 1], got {value!r}")
        if psi == 1:
            return None
        if name not in self.catalog.truncatable:
            raise ZooError(f"{name} does not support truncation: set the truncation slider to 1")
        return psi

    def _label(self, name: str, handle: ModelHandle, label: str | None) -> str | None:
        """The class for a conditional model (a name from its list), None for an unconditional one."""
        if not getattr(handle.generator, "num_classes", 0):
            return None
        choices = handle.classes or tuple(str(i) for i in range(handle.generator.num_classes))
        if label not in choices:
            raise ZooError(f"{name} is class-conditional: choose a class ({', '.join(choices)})")
        return label

    def classes(self, name: str) -> tuple[str, ...]:
        """The class names a conditional generator offers (empty for an unconditional one)."""
        name = self.catalog.require(name, self.catalog.generators, "generators")
        handle = self.models.get(name)
        count = getattr(handle.generator, "num_classes", 0)
        return (handle.classes or tuple(str(i) for i in range(count))) if count else ()

    def generate(
        self, name: str, seed: float, n: float, truncation: float | None = None, label: str | None = None
    ) -> Picture:
        """A grid of ``n`` samples, the same pixels as the ``zoo sample`` command it returns."""
        from zoo.images import make_grid

        name = self.catalog.require(name, self.catalog.generators, "generators")
        seed_ = check_count(seed, "seed", 0, MAX_SEED)
        count = check_count(n, "number of images", 1, self.limits.max_images)
        psi = self._truncation(name, truncation)
        handle = self.models.get(name)
        cls = self._label(name, handle, label)
        scale = max(1, DISPLAY_CELL // handle.generator.resolution)
        images = handle.sample(count, seed=seed_, labels=[cls] if cls is not None else None, truncation=psi)
        grid = make_grid(_enlarge(images.numpy(), scale))
        words = ["zoo", "sample", name, "-n", str(count), "--seed", str(seed_)]
        words += ["--class", cls] if cls is not None else []
        words += ["--truncation", f"{psi:g}"] if psi is not None else []
        words += ["--scale", str(scale)] if scale > 1 else []
        command = " ".join(shlex.quote(word) for word in [*words, "-o", "grid.png"])
        return Picture(grid, self._png(grid, name), command)

    def walk(self, name: str, seeds: str, steps: float, label: str | None = None) -> tuple[Path, str]:
        """A looping GIF walking the latent space through ``seeds`` (``zoo interpolate``)."""
        name = self.catalog.require(name, self.catalog.generators, "generators")
        stops = parse_seeds(seeds, "seeds", self.limits.max_walk_seeds)
        if len(stops) < 2:
            raise ZooError(f"give at least two seeds to walk between, like 1,2 (got {seeds!r})")
        count = check_count(steps, "steps", 2, self.limits.max_walk_steps)
        handle = self.models.get(name)
        cls = self._label(name, handle, label)
        labels = [cls] if cls is not None else None
        legs = [handle.interpolate(a, b, count, labels=labels).numpy() for a, b in zip(stops, stops[1:], strict=False)]
        frames = np.concatenate([legs[0], *(leg[1:] for leg in legs[1:])])
        scale = max(1, DISPLAY_CELL // handle.generator.resolution)
        self._prune()
        path = self.out_dir / f"{name}-walk-{uuid.uuid4().hex[:8]}.gif"
        write_gif(path, _enlarge(frames, scale), duration_ms=80)
        words = ["zoo", "interpolate", name, "--seeds", ",".join(map(str, stops)), "--steps", str(count)]
        words += ["--class", cls] if cls is not None else []
        words += ["--scale", str(scale)] if scale > 1 else []
        return path, " ".join(shlex.quote(word) for word in [*words, "-o", "walk.gif"])

    def style_mix(self, name: str, rows: str, cols: str, layers: str) -> Picture:
        """The StyleGAN figure: rows keep their styles, columns lend the chosen layers (``zoo style-mix``)."""
        name = self.catalog.require(name, self.catalog.style_based, "style-based generators")
        row_seeds = parse_seeds(rows, "row seeds", self.limits.max_mix_side)
        col_seeds = parse_seeds(cols, "column seeds", self.limits.max_mix_side)
        handle = self.models.get(name)
        ranges = layer_ranges(handle.generator.num_ws)
        if layers not in ranges:
            raise ZooError(f"layers must be one of {', '.join(ranges)}, got {layers!r}")
        first, last = ranges[layers]
        mixes = handle.style_mix(row_seeds, col_seeds, list(range(first, last + 1))).numpy()
        sources = {seed: handle.sample(1, seed=seed)[0].numpy() for seed in {*row_seeds, *col_seeds}}
        cells = [np.full_like(mixes[0, 0], 255), *(sources[seed] for seed in col_seeds)]
        for i, seed in enumerate(row_seeds):
            cells += [sources[seed], *mixes[i]]
        scale = max(1, DISPLAY_CELL // handle.generator.resolution)
        from zoo.images import make_grid

        grid = make_grid(_enlarge(np.stack(cells), scale), nrow=len(col_seeds) + 1)
        words = ["zoo", "style-mix", name, "--rows", ",".join(map(str, row_seeds))]
        words += ["--cols", ",".join(map(str, col_seeds)), "--layers", f"{first}-{last}"]
        words += ["--scale", str(scale)] if scale > 1 else []
        command = " ".join(shlex.quote(word) for word in [*words, "-o", "mix.png"])
        return Picture(grid, self._png(grid, f"{name}-mix"), command)

    def truncation_sweep(self, name: str, seed: float, count: float) -> Picture:
        """One seed at ψ from 1 down to 0.1: how truncation trades variety for typical images."""
        from zoo.images import make_grid

        name = self.catalog.require(name, self.catalog.truncatable, "models with truncation")
        seed_ = check_count(seed, "seed", 0, MAX_SEED)
        k = check_count(count, "images in the sweep", 2, self.limits.max_sweep)
        handle = self.models.get(name)
        cls = self._label(name, handle, handle.classes[0] if handle.classes else None) if handle.classes else None
        psis = np.linspace(1.0, 0.1, k)
        labels = [cls] if cls is not None else None
        images = [handle.sample(1, seed=seed_, labels=labels, truncation=float(p))[0].numpy() for p in psis]
        scale = max(1, DISPLAY_CELL // handle.generator.resolution)
        grid = make_grid(_enlarge(np.stack(images), scale), nrow=k)
        words = ["zoo", "sample", name, "-n", "1", "--seed", str(seed_)]
        words += ["--class", cls] if cls is not None else []
        command = (
            " ".join(shlex.quote(w) for w in words)
            + " --truncation PSI -o psi.png   # PSI = "
            + ", ".join(f"{p:.2f}" for p in psis)
        )
        return Picture(grid, self._png(grid, f"{name}-sweep"), command)

    def photo(self, upload: str | None, example: str | None, what: str = "photo") -> Image.Image:
        """The input picture: an uploaded file (through the guarded decoder) or a bundled example, by name."""
        if upload:
            return read_upload(upload, self.limits, what)
        if example:
            if example not in EXAMPLES:
                raise ZooError(f"no bundled example {example!r}: choose one of {', '.join(EXAMPLES)}")
            return read_upload(str(EXAMPLES[example]), self.limits, what)
        raise ZooError(f"upload a {what} or pick one of the bundled examples")

    def translate(self, name: str, picture: Image.Image, size: float) -> Picture:
        """Any image-to-image checkpoint applied to the picture at a bounded working size."""
        from zoo.image_io import resize_longest

        name = self.catalog.require(name, self.catalog.translators, "image-to-image models")
        side = check_count(size, "size", 16, self.limits.max_side)
        handle = self.models.get(name)
        result = np.asarray(handle.translate(resize_longest(picture, side)))
        command = f"zoo translate {shlex.quote(name)} photo.jpg --size {side} -o out.png"
        return Picture(result, self._png(result, name), command)

    def stylize(self, style: str, picture: Image.Image, size: float) -> Picture:
        """One of the registered styles (a fast network) on the picture (``zoo stylize``)."""
        if style not in self.catalog.styles:
            names = ", ".join(self.catalog.styles)
            raise ZooError(f"{style!r} is not one of this demo's styles: choose one of {names}")
        done = self.translate(self.catalog.styles[style], picture, size)
        side = check_count(size, "size", 16, self.limits.max_side)
        done.command = f"zoo stylize photo.jpg --style {shlex.quote(style)} --size {side} -o out.png"
        return done

    def learn_style(
        self,
        picture: Image.Image,
        style_upload: str | None,
        steps: float,
        size: float,
        on_step: Callable[[int, int], None] | None = None,
    ) -> Picture:
        """A style learnt from an uploaded style image by the first registered stylizer (optimisation, bounded)."""
        from zoo.image_io import resize_longest
        from zoo.specs import import_object

        if not self.catalog.stylizers:
            raise ZooError("no installed plugin learns styles from an image: install one that registers a stylizer")
        if not style_upload:
            raise ZooError("upload a style image (a painting, a texture) to learn its style")
        style = read_upload(style_upload, self.limits, "style image")
        count = check_count(steps, "steps", 1, self.limits.max_steps)
        side = check_count(size, "size", 16, self.limits.max_side)
        family, spec = next(iter(self.catalog.stylizers.items()))
        learn = import_object(spec.builder, spec.plugin)
        result = learn(resize_longest(picture, side), resize_longest(style, side), steps=count, on_step=on_step)
        image = np.asarray(result.convert("RGB"))
        command = f"zoo stylize photo.jpg --style style.jpg --steps {count} --size {side} -o out.png   # {family}"
        return Picture(image, self._png(image, "learnt-style"), command)


def read_upload(path: str, limits: Limits, what: str) -> Image.Image:
    """An uploaded file as an RGB picture, through the CLI's guarded decoder, shrunk to the demo's working size."""
    from PIL import Image

    from zoo.image_io import decode_image, resize_longest

    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError:
        raise ZooError(f"the {what} could not be read: upload it again") from None
    if size > limits.max_upload_bytes:
        raise ZooError(f"the {what} is {size / 1e6:.1f} MB, over this demo's {limits.max_upload_bytes / 1e6:g} MB")
    if size == 0:
        raise ZooError(f"the {what} is an empty file: upload a JPEG, PNG or WebP image")
    blob = file.read_bytes()
    try:
        array = decode_image(blob, f"the {what} {file.name!r}", max_pixels=limits.max_upload_pixels)
    except ZooError as exc:
        if "could not be decoded" not in str(exc):
            raise  # its size: the decoder's message says it
        shown = f"the {what} {file.name!r}"
        raise ZooError(f"{shown} is not an image this demo can read: upload a JPEG, PNG or WebP file") from None
    picture = _upright(Image.fromarray(array), blob)
    return resize_longest(picture, min(limits.max_side, max(picture.size)))


_EXIF_TURNS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
               7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip
"""EXIF orientation -> the turn that makes the picture upright (as zoo stylize's reader, PIL's exif_transpose)."""


def _upright(picture: Image.Image, blob: bytes) -> Image.Image:
    """A phone photo turned as its EXIF orientation says (the decoder returns the pixels as stored)."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(blob)) as header:  # the header only: the pixels were decoded already
            orientation = header.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block: keep the picture as stored
        return picture
    turn = _EXIF_TURNS.get(orientation)
    return picture.transpose(getattr(Image.Transpose, turn)) if turn else picture


def parse_seeds(text: Any, what: str, most: int) -> list[int]:
    """'1,2,3' -> [1, 2, 3]: at most ``most`` seeds, each in 0..MAX_SEED."""
    items = [item.strip() for item in str(text or "").split(",") if item.strip()]
    if not items or not all(item.isdigit() and len(item) <= 10 for item in items) or len(items) > most:
        raise ZooError(f"{what}: give 1 to {most} comma-separated seeds from 0 to {MAX_SEED}, like 1,2,3")
    seeds = [int(item) for item in items]
    if max(seeds) > MAX_SEED:
        raise ZooError(f"{what}: seeds go from 0 to {MAX_SEED}, got {max(seeds)}")
    return seeds


def layer_ranges(num_ws: int) -> dict[str, tuple[int, int]]:
    """Coarse, middle and fine style inputs of a generator with ``num_ws`` of them (first, last; both included)."""
    third = max(1, num_ws // 3)
    ranges = {"coarse": (0, third - 1), "middle": (third, 2 * third - 1), "fine": (2 * third, num_ws - 1)}
    return {
        f"{label} ({first}-{last})": (first, last) for label, (first, last) in ranges.items() if first <= last < num_ws
    }


def _enlarge(images: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of (N, H, W, C) images, as ``zoo sample --scale`` does."""
    return images.repeat(scale, axis=1).repeat(scale, axis=2) if scale > 1 else images


def write_gif(path: Path, frames: np.ndarray, duration_ms: int) -> None:
    """(N, H, W, C) uint8 frames as an endlessly looping GIF."""
    from PIL import Image

    pictures = [Image.fromarray(frame[:, :, 0] if frame.shape[2] == 1 else frame) for frame in frames]
    pictures[0].save(path, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
