"""One exception type for problems the user can fix, so the CLI can print them as one line."""

from __future__ import annotations


class ZooError(Exception):
    """A user-facing error: its message says what went wrong and what to do next."""


class ZooWarning(UserWarning):
    """Something the user should know that does not stop the work; the CLI prints it as one line."""


class PluginError(ZooError):
    """A plugin is broken or conflicts with another one."""


class Interrupted(ZooError):
    """A clean stop by SIGINT/SIGTERM, work saved: the CLI says so plainly (no 'Error:') and exits 128 + N."""

    def __init__(self, message: str, signal_number: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signal_number
