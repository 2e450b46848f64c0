"""Options that several commands share, and the checks of their values, defined once so that ``--quiet``,
``--verbose``, ``--dtype``, ``--scale`` and ``--class`` mean the same everywhere.

Plugins' commands use them too (``from zoo.cli.options import quiet_option``). Torch-free, like every
module ``--help`` imports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo.model import ModelHandle

F = TypeVar("F", bound=Callable[..., Any])

QUIET_HELP = "No progress bars or status lines (results, notes, warnings and errors still print)."
VERBOSE_HELP = "Say how the model runs here (precision, layout) on stderr."
DTYPE_HELP = (
    "auto: the fastest path here, within 1e-3 of float32 (see zoo info); float32 (plain eager), bfloat16, float16"
)
MAX_SCALE = 16  # --scale: how many times saved images may be enlarged (nearest neighbour)
SEED = click.IntRange(0, 2**63 - 1)
"""The type of every --seed: what torch.Generator.manual_seed takes, refused by click beyond that."""


class FiniteFloat(click.types.FloatParamType):
    """A float option that refuses nan and ±inf (click's FLOAT accepts them, and they run as nonsense)."""

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


FINITE = FiniteFloat()
"""The type of every float option of every command (plugins' too: ``from zoo.cli.options import FINITE``)."""


def scale_option(help: str) -> Callable[[F], F]:  # noqa: A002 - click's own name for it
    """--scale for commands that save images; click refuses absurd values, check_numbers gives the range."""
    return click.option("--scale", type=click.IntRange(max=4 * MAX_SCALE), default=1, show_default=True, help=help)


@contextlib.contextmanager
def hub_progress_bars_off() -> Iterator[None]:
    """Within the block huggingface_hub shows no download or upload bars; afterwards they are as they were."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    if are_progress_bars_disabled():  # already off (HF_HUB_DISABLE_PROGRESS_BARS): leave them to the user
        yield
        return
    disable_progress_bars()
    try:
        yield
    finally:
        enable_progress_bars()


def _quiet_callback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """--quiet also turns off the Hub's bars (weights pulled on demand), for this command only."""
    if value:
        ctx.with_resource(hub_progress_bars_off())
    return value


def quiet_option(command: F) -> F:
    """Add ``-q/--quiet`` (alias ``--no-progress``): the command gets ``quiet: bool``."""
    # The callback silences the Hub's bars itself: a command with no bars of its own may ignore ``quiet``.
    return click.option(
        "-q", "--quiet", "--no-progress", "quiet", is_flag=True, help=QUIET_HELP, callback=_quiet_callback
    )(command)


def verbose_option(command: F) -> F:
    """Add ``--verbose``: the command gets ``verbose: bool`` and says how its model runs (inference plan)."""
    return click.option("--verbose", is_flag=True, help=VERBOSE_HELP)(command)


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)


def _nowhere(line: str) -> None:
    """A status line under --quiet."""


def status_printer(quiet: bool) -> Callable[[str], None]:
    """Where a command's status lines go (stderr, or nowhere under --quiet); results and errors never go here."""
    return _nowhere if quiet else _to_stderr


class LazyHelpOption(click.Option):
    """An option whose help is computed only when ``--help`` shows it (e.g. from the registry), not at import."""

    def __init__(self, *args: Any, help_text: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.help_text = help_text

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = self.help_text()
        return super().get_help_record(ctx)


def check_numbers(truncation: float | None, scale: int) -> None:
    """Refuse a bad --truncation or --scale before the model is loaded."""
    if truncation is not None and not 0 < truncation <= 1:
        raise ZooError(f"truncation must be in (0, 1], got {truncation}")
    if not 1 <= scale <= MAX_SCALE:
        raise ZooError(f"--scale must be between 1 and {MAX_SCALE}, got {scale}")


def require_class_flag(handle: ModelHandle, given: bool) -> None:
    """A class-conditional model needs --class: say so in CLI words (the API's error speaks of labels=)."""
    num_classes = getattr(handle.generator, "num_classes", 0)
    if num_classes and not given:
        choices = ", ".join(handle.classes) or f"0..{num_classes - 1}"
        raise ZooError(f"{handle.spec.name} is class-conditional: pass --class NAME (one of {choices})")
