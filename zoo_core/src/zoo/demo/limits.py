"""The bounds a public demo needs (a Space serves strangers), in one place so the page and the checks agree.

Torch- and Gradio-free: ``zoo demo --help`` and the option checks import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from zoo.errors import ZooError

DEFAULT_HOST = "127.0.0.1"
"""Loopback unless the user says otherwise: a demo is never exposed to the network by accident."""
DEFAULT_PORT = 7860  # Gradio's and Hugging Face Spaces' port
MAX_PORT = 65535


@dataclass(frozen=True)
class Limits:
    """Per-request and server-wide bounds; every handler checks its inputs against these."""

    max_images: int = 64
    """Images in one Generate grid (a 64-image grid of a 64 px model is about 0.1 s of CPU)."""
    max_walk_steps: int = 48
    """Frames between two seeds in a latent walk."""
    max_walk_seeds: int = 6
    max_mix_side: int = 6
    """Rows and columns of a style-mixing grid."""
    max_sweep: int = 12
    """Images in a truncation sweep."""
    max_upload_bytes: int = 10_000_000
    """An upload's size on disk; Gradio refuses larger files before they reach a handler."""
    max_upload_pixels: int = 25_000_000
    """An upload's decoded size (width × height), read from its header before the pixels are decoded."""
    max_side: int = 512
    """Longest side of a picture the image-to-image models and the optimisation work on (larger is shrunk)."""
    max_steps: int = 200
    """Optimisation steps of a style learnt from an uploaded style image."""
    default_steps: int = 40
    concurrency: int = 1
    """Requests that run at once (the rest wait in the queue): a 2-core CPU is busy with one."""
    max_queue: int = 16
    """Requests that may wait; more are told the demo is busy instead of waiting for minutes."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ZooError(f"demo limit {name} must be a positive integer, got {value!r}")
        if self.default_steps > self.max_steps:
            raise ZooError(f"demo limit default_steps ({self.default_steps}) is above max_steps ({self.max_steps})")


def check_count(value: float | int | None, what: str, low: int, high: int) -> int:
    """A whole number from the page (Gradio sends floats) within [low, high], or a ZooError saying the range."""
    if value is None or isinstance(value, bool):
        raise ZooError(f"{what} is missing: enter a whole number from {low} to {high}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ZooError(f"{what} must be a whole number from {low} to {high}, got {value!r}") from None
    if number != number or not number.is_integer() or not low <= number <= high:
        raise ZooError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return int(number)


def check_port(port: int) -> int:
    """A TCP port the server can listen on (0 is refused: the user must know where to point the browser)."""
    if not 1 <= port <= MAX_PORT:
        raise ZooError(f"--port must be between 1 and {MAX_PORT}, got {port}")
    return port
