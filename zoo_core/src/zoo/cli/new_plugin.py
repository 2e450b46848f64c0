"""``zoo new-plugin NAME``: a complete plugin distribution whose tests pass right after generation,
so authors start from something that works instead of from the docs."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import click

from zoo.errors import ZooError
from zoo.specs import check_name

MODULE_PLACEHOLDER = "__module__"


def render_plugin(name: str, target: Path, conditional: bool = False) -> Path:
    """Write the template for family ``name`` into ``target/zoo-NAME``; return that folder.

    ``conditional``: a class-conditional family (10 classes by default; ``zoo train`` takes the count
    from the data), whose tests and card examples sample by class.
    """
    check_name(name, "plugin")
    values = {"name": name, "dist": f"zoo-{name}", "module": _module_name(name)}
    values |= _variant(conditional)
    if not values["module"].isidentifier():
        raise ZooError(f"plugin name {name!r} does not make a Python module name: use letters, digits and '-'")
    _refuse_taken_name(name, values["dist"], values["module"])
    root = target / values["dist"]
    if root.exists():
        raise ZooError(f"{root} already exists: choose another --dir or remove it")
    _render(resources.files("zoo").joinpath("templates", "plugin"), root, values)
    return root


def _render(source: Traversable, dest: Path, values: dict[str, str]) -> None:
    """Copy ``source`` into ``dest``, substituting ``${name}``-style fields in every ``.tmpl`` file."""
    dest.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.name == "__pycache__":
            continue
        out = dest / entry.name.replace(MODULE_PLACEHOLDER, values["module"]).removesuffix(".tmpl")
        if entry.is_dir():
            _render(entry, out, values)
        else:
            out.write_text(Template(entry.read_text()).substitute(values))


def _variant(conditional: bool) -> dict[str, str]:
    """The template fields that differ between an unconditional and a class-conditional family."""
    if conditional:
        return {
            "task": "class-conditional-image-generation",
            "kind": "class-conditional",
            "num_classes": "10",
            "classes_comment": "; num_classes: set from the data's labels",
            "sample_args": "2, seed=0, labels=['class3']",
        }
    return {
        "task": "unconditional-image-generation",
        "kind": "unconditional",
        "num_classes": "0",
        "classes_comment": "",
        "sample_args": "2, seed=0",
    }


def _module_name(name: str) -> str:
    """The import name of plugin ``name``'s package: 'my-gan' -> 'zoo_my_gan'."""
    return "zoo_" + name.replace("-", "_").replace(".", "_")


def _refuse_taken_name(name: str, dist: str, module: str) -> None:
    """A family, model, distribution or module name already installed would clash with (or replace) it."""
    import importlib.metadata
    import importlib.util

    from zoo.registry import get_registry

    registry = get_registry()
    if name in registry.architectures or name in registry.checkpoints:
        owner = registry.architectures.get(name) or registry.checkpoints[name]
        raise ZooError(f"{name!r} is already a model of the installed plugin {owner.plugin}: choose another name")
    try:
        importlib.metadata.distribution(dist)
        raise ZooError(f"a distribution {dist!r} is already installed (pip would replace it): choose another name")
    except importlib.metadata.PackageNotFoundError:
        pass
    if importlib.util.find_spec(module) is not None:
        raise ZooError(f"a module {module!r} is already installed: choose another name")


@click.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("."), show_default=True)
@click.option("--conditional", is_flag=True, help="A class-conditional family (generator and D take labels).")
def new_plugin_command(name: str, directory: Path, conditional: bool) -> None:
    """Generate a plugin distribution for a new family NAME (pyproject, hooks, tiny model, tests)."""
    if not directory.is_dir():
        raise ZooError(f"--dir {directory} is not a directory: create it first")
    root = render_plugin(name, directory, conditional)
    click.echo(f"created {root}: cd {root} && pip install -e . && pytest")
