"""``zoo new-plugin NAME``: a complete plugin distribution whose tests pass right after generation,
so authors start from something that works instead of from the docs.

The template is layered: ``templates/plugin`` (pyproject, README) is every plugin's; one variant on top
adds the package and its tests (``latent``: a GAN from latents; ``image-to-image``: a paired translator,
whose spec and ``model.py`` ``image-to-image-unpaired`` replaces with a two-way one's).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import click

from zoo.errors import ZooError
from zoo.specs import check_name

MODULE_PLACEHOLDER = "__module__"


def render_plugin(
    name: str, target: Path, conditional: bool = False, *, image_to_image: bool = False, unpaired: bool = False
) -> Path:
    """Write the template for family ``name`` into ``target/zoo-NAME``; return that folder.

    ``conditional``: a class-conditional family (10 classes by default; ``zoo train`` takes the count
    from the data), whose tests and card examples sample by class. ``image_to_image``: a one-way
    translator trained on pairs (Pix2Pix's setting); with ``unpaired``, a two-way one trained on two
    unpaired domains (CycleGAN's).
    """
    check_name(name, "plugin")
    layers = _layers(conditional, image_to_image, unpaired)
    values = {"name": name, "dist": f"zoo-{name}", "module": _module_name(name)}
    variant = _variant(conditional) if not image_to_image else _translation_variant(unpaired)
    values |= {key: Template(text).substitute(values) for key, text in variant.items()}  # fields may name ${name}
    if not values["module"].isidentifier():
        raise ZooError(f"plugin name {name!r} does not make a Python module name: use letters, digits and '-'")
    _refuse_taken_name(name, values["dist"], values["module"])
    root = target / values["dist"]
    if root.exists():
        raise ZooError(f"{root} already exists: choose another --dir or remove it")
    templates = resources.files("zoo").joinpath("templates")
    for layer in layers:
        _render(templates.joinpath(layer), root, values)
    return root


def _layers(conditional: bool, image_to_image: bool, unpaired: bool) -> list[str]:
    """The template folders to render, in order (a later one's file replaces an earlier one's)."""
    if unpaired and not image_to_image:
        raise ZooError("--unpaired makes a two-way image-to-image plugin: pass it with --image-to-image")
    if conditional and image_to_image:
        raise ZooError(
            "--conditional adds class labels to a GAN from latents; an image-to-image model is conditioned on its "
            "input image already: drop --conditional"
        )
    if not image_to_image:
        return ["plugin", "latent"]
    return ["plugin", "image-to-image"] + (["image-to-image-unpaired"] if unpaired else [])


def _render(source: Traversable, dest: Path, values: dict[str, str]) -> None:
    """Copy ``source`` into ``dest``, substituting ``${name}``-style fields in every ``.tmpl`` file."""
    dest.mkdir(parents=True, exist_ok=True)
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
    shared = {
        "summary": "GAN family",
        "resolution": "32",
        "data_file": "images.npz",
        "use_command": "zoo sample runs/${name} -n 16 -o grid.png",
        "data_note": "",
        "edit_files": "`src/${module}/model.py`",
    }
    if conditional:
        return shared | {
            "task": "class-conditional-image-generation",
            "kind": "class-conditional",
            "num_classes": "10",
            "classes_comment": "; num_classes: set from the data's labels",
            "sample_args": "2, seed=0, labels=['class3']",
        }
    return shared | {
        "task": "unconditional-image-generation",
        "kind": "unconditional",
        "num_classes": "0",
        "classes_comment": "",
        "sample_args": "2, seed=0",
    }


def _translation_variant(unpaired: bool) -> dict[str, str]:
    """The fields of an image-to-image family's shared files: paired and one-way, or unpaired and two-way."""
    shared = {
        "resolution": "64",
        "use_command": "zoo translate runs/${name} photo.png -o translated.png",
        "edit_files": "`src/${module}/networks.py` (the networks), `src/${module}/model.py` (the zoo's interfaces)",
    }
    if unpaired:
        return shared | {
            "summary": "image-to-image family (unpaired, two-way)",
            "kind": "unpaired two-domain",
            "data_file": "domains.npz",
            "data_note": (
                "\n`--data`: two unpaired domains, an .npz with `trainA` and `trainB` uint8 (N, H, W, C) arrays\n"
                "(`testA`, `testB`: held out), or a folder with `trainA/` and `trainB/` (`testA/`, `testB/`)\n"
                "sub-folders of images. `zoo translate ... --direction b2a` translates the other way.\n"
            ),
            "directions": '("a2b", "b2a")',
            "a_key": "trainA",
            "b_key": "trainB",
            "data_comment": "two unpaired domains",
        }
    return shared | {
        "summary": "image-to-image family (paired)",
        "kind": "paired",
        "data_file": "pairs.npz",
        "data_note": (
            "\n`--data`: pairs, an .npz with `A` and `B` uint8 (N, H, W, C) arrays (row i of A goes with row i\n"
            "of B; `train_A`, `train_B`, `test_A`, `test_B` for splits), a folder with `A/` and `B/` holding files\n"
            "of the same names, or a folder of side-by-side input|target images.\n"
        ),
        "directions": '("a2b",)',
        "a_key": "A",
        "b_key": "B",
        "data_comment": "pairs: row i of A goes with row i of B",
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
@click.option(
    "--image-to-image",
    "image_to_image",
    is_flag=True,
    help="An image-to-image family: a one-way translator and a conditional patch critic, trained on pairs.",
)
@click.option(
    "--unpaired",
    is_flag=True,
    help="With --image-to-image: a two-way translator (a2b, b2a) with a critic per direction, trained on two "
    "unpaired domains (cycle and identity terms).",
)
def new_plugin_command(name: str, directory: Path, conditional: bool, image_to_image: bool, unpaired: bool) -> None:
    """Generate a plugin distribution for a new family NAME (pyproject, hooks, tiny model, tests)."""
    if not directory.is_dir():
        raise ZooError(f"--dir {directory} is not a directory: create it first")
    root = render_plugin(name, directory, conditional, image_to_image=image_to_image, unpaired=unpaired)
    click.echo(f"created {root}: cd {root} && pip install -e '.[test]' && pytest")
