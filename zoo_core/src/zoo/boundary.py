"""The public API's one argument check: every parameter against its own type hint, before the function runs.

``zoo.train(device=0)``, ``zoo.evaluate(metrics=123)`` or ``stylize(style=None)`` used to end in a bare
TypeError or AttributeError deep inside; a keyword the function does not take (``stylize(bogus=1)``)
in Python's own TypeError. ``@public`` checks what arrives against the signature with pydantic in strict
mode (no coercion, NaN and infinity refused) and raises a one-line ``ZooError`` naming the function, the
parameter, what it takes and what it got. Hints that cannot be resolved at run time (torch types named
only for type checkers) are left to the function's own checks.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from zoo.errors import ZooError

F = TypeVar("F", bound=Callable[..., Any])


def public(function: F | None = None, *, name: str | None = None) -> Any:
    """Check the arguments of a public API function against its signature and type hints (one-line ZooError).

    ``name``: what users call it, when the package exports it under another name (``zoo.evaluate``).
    """
    if function is None:
        return functools.partial(public, name=name)
    signature = inspect.signature(function)
    label = f"{function.__module__.split('.')[0]}.{name or function.__name__}()"
    adapters: dict[str, Any] = {}

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            names = ", ".join(signature.parameters)
            raise ZooError(f"{label}: {exc}; it takes {names}") from None
        if not adapters:
            adapters.update(_adapters(function, signature))
        for name, value in bound.arguments.items():
            adapter = adapters.get(name)
            if adapter is not None:
                _check(adapter, label, name, value)
        return function(*args, **kwargs)

    checked.__zoo_public__ = True  # type: ignore[attr-defined]  # tests enumerate what the boundary guards
    return typing.cast(F, checked)


def _adapters(function: Callable[..., Any], signature: inspect.Signature) -> dict[str, Any]:
    """A strict pydantic validator per parameter whose hint resolves here; ``None`` for the others."""
    from pydantic import ConfigDict, TypeAdapter

    config = ConfigDict(strict=True, arbitrary_types_allowed=True, allow_inf_nan=False)
    namespace = {**vars(typing), **function.__globals__}
    adapters: dict[str, Any] = {}
    for name, parameter in signature.parameters.items():
        hint = parameter.annotation
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or hint is parameter.empty:
            adapters[name] = None
            continue
        try:
            resolved = eval(hint, namespace) if isinstance(hint, str) else hint  # noqa: S307 - the module's own hint
            adapters[name] = None if resolved is Any else TypeAdapter(resolved, config=config)
        except Exception:  # noqa: BLE001 - a hint only a type checker can read (torch types): the function checks
            adapters[name] = None
    return adapters


def _check(adapter: Any, label: str, name: str, value: Any) -> None:
    """Raise the one-line ZooError for ``value`` if the parameter's hint refuses it."""
    from pydantic import ValidationError

    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        wanted = [error["msg"].removeprefix("Input should be ").removeprefix("Value error, ") for error in exc.errors()]
        takes = " or ".join(dict.fromkeys(wanted))  # a union lists each type it would take
        shown = repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"
        raise ZooError(f"{label}: {name} must be {takes}, got {shown}") from None
