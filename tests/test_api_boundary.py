"""Every public API function checks its arguments at the boundary: a wrong type is one ZooError line, never a
bare TypeError, AttributeError or ValueError from deep inside (#31). The functions are found, not listed."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import zoo
from PIL import Image
from zoo.errors import ZooError

PLUGIN_FUNCTIONS = [("zoo_style_transfer", "stylize")]


def _public_functions() -> dict[str, object]:
    import importlib

    found = {f"zoo.{name}": getattr(zoo, name) for name in zoo.__all__ if inspect.isfunction(getattr(zoo, name))}
    for module, name in PLUGIN_FUNCTIONS:
        found[f"{module}.{name}"] = getattr(importlib.import_module(module), name)
    return found


NOT_GUARDED = {"zoo.get_registry": "takes no arguments", "zoo.hookimpl": "pluggy's marker, not a job"}


def test_every_public_function_is_guarded():
    unguarded = [
        name for name, f in _public_functions().items() if name not in NOT_GUARDED and not hasattr(f, "__zoo_public__")
    ]
    assert not unguarded, f"decorate {unguarded} with zoo.boundary.public"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    np.savez(root / "d.npz", images=np.zeros((8, 32, 32, 3), np.uint8))
    Image.new("RGB", (32, 32)).save(root / "photo.png")
    return root


def _base(name: str, root) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A valid call of each function: one parameter at a time is then given a value of the wrong type."""
    photo = str(root / "photo.png")
    return {
        "zoo.load": {"name": "dcgan"},
        "zoo.build": {"family": "dcgan"},
        "zoo.train": {"family": "dcgan", "data": str(root / "d.npz"), "out": str(root / "run"), "steps": 1},
        "zoo.evaluate": {"model": "dcgan", "data": str(root / "d.npz"), "metrics": "kid", "n": 4},
        "zoo.export": {"model": "dcgan", "output": str(root / "g.pt2")},
        "zoo.push": {"source": "dcgan", "repo_id": "me/x", "dry_run": True, "out": str(root / "pushed")},
        "zoo.list_models": {},
        "zoo.translate": {"model": "style-transfer-candy", "inputs": photo, "output": str(root / "o.png")},
        "zoo_style_transfer.stylize": {"content": str(root / "photo.png"), "style": "candy", "size": 32},
    }[name]


def _cases():  # type: ignore[no-untyped-def]
    for name, function in sorted(_public_functions().items()):
        if name in NOT_GUARDED:
            continue
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind is parameter.VAR_KEYWORD:
                continue
            for value in (object(), b"bytes", float("nan")):
                yield name, parameter.name, value


@pytest.mark.parametrize(("name", "parameter", "value"), list(_cases()))
def test_a_wrong_type_is_one_zoo_error_line(name, parameter, value, inputs):
    function = _public_functions()[name]
    arguments = {**_base(name, inputs), parameter: value}
    with pytest.raises(ZooError) as error:
        function(**arguments)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("name", ["zoo.load", "zoo.train", "zoo.export", "zoo_style_transfer.stylize"])
def test_an_unknown_keyword_is_one_zoo_error_line_naming_the_parameters(name, inputs):
    with pytest.raises(ZooError, match="unexpected keyword argument 'bogus'; it takes"):
        _public_functions()[name](**_base(name, inputs), bogus=1)
