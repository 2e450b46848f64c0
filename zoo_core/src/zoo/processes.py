"""A local server run as a child process (the loopback Hub, ``zoo demo``): a free port, waiting until it answers,
stopping it; and the signal handlers a long-running command installs for its stop. One copy for the core, its
tests and its benchmarks."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from types import FrameType

from zoo.errors import ZooError


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(
    url: str,
    process: subprocess.Popen,
    timeout: float = 120.0,
    *,
    any_status: bool = False,
    said: Callable[[], str] | None = None,
    poll: float = 0.05,
) -> float:
    """Seconds until ``url`` answers 200 (``any_status``: any HTTP answer); a one-line ZooError if the process exits
    first or the time runs out, ending with what ``said`` returns (the server's output)."""
    started = time.perf_counter()
    output = said or (lambda: process.stdout.read() if process.stdout else "")
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise ZooError(f"the server exited with {process.returncode}: {output()!r}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except urllib.error.HTTPError:
            if any_status:
                return time.perf_counter() - started
            time.sleep(poll)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(poll)
    raise ZooError(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Terminate ``process``, and kill it if it has not gone within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def signal_handlers(numbers: Iterable[int], handler: Callable[[int, FrameType | None], object]) -> Iterator[bool]:
    """Route the signals ``numbers`` to ``handler`` while the block runs, then restore the previous handlers.

    Python sets handlers only in the main thread; elsewhere nothing is installed and the block sees False.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = {number: signal.signal(number, handler) for number in numbers}
    try:
        yield True
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
