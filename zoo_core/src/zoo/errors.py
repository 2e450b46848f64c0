"""One exception type for problems the user can fix, so the CLI can print them as one line."""

from __future__ import annotations


class ZooError(Exception):
    """A user-facing error: its message says what went wrong and what to do next."""


class ZooWarning(UserWarning):
    """Something the user should know that does not stop the work; the CLI prints it as one line."""


def _inside_the_zoo(module: str) -> bool:
    """Whether a frame's module is the core or a plugin (``zoo``, ``zoo.*``, ``zoo_*``)."""
    return module == "zoo" or module.startswith(("zoo.", "zoo_"))


def warn(message: str, category: type[Warning] = ZooWarning) -> None:
    """``warnings.warn`` attributed to the first caller outside the zoo, so Python shows the user's own line
    under the message (never a line of zoo's internals); the CLI shows every warning as one line anyway."""
    import sys
    import warnings

    level, frame = 2, sys._getframe(1)  # stacklevel 2 is the caller of warn()
    while frame is not None and _inside_the_zoo(frame.f_globals.get("__name__", "")):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


class PluginError(ZooError):
    """A plugin is broken or conflicts with another one."""


class Interrupted(ZooError):
    """A clean stop by SIGINT/SIGTERM, work saved: the CLI says so plainly (no 'Error:') and exits 128 + N."""

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signal_number
