"""SIGINT and SIGTERM end a training run between two steps, so the checkpoint it leaves is consistent.

A cluster's scheduler, ``timeout`` and ``kill`` send SIGTERM; Ctrl-C sends SIGINT. Either one asks
the loop to stop after the current step; a second Ctrl-C stops at once (the last checkpoint stays).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

from zoo.processes import signal_handlers

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """The signal that asked the run to stop (None while nobody has)."""

    def __init__(self) -> None:
        self.signal_number: int | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signal_number).name if self.signal_number else ""

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.signal_number is not None and number == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.signal_number = number


@contextlib.contextmanager
def stop_requests(enabled: bool = True) -> Iterator[StopRequest]:
    """Catch SIGINT / SIGTERM while the block runs (main thread only; elsewhere nothing is caught)."""
    request = StopRequest()
    if not enabled:
        yield request
        return
    with signal_handlers(HANDLED, request._handle):
        yield request
