"""The layering of DESIGN.md, enforced: pyproject.toml's import contracts hold and no package has an import circle.

``nox -s lint`` runs ``lint-imports`` too; these tests make CI (which runs only the test suite) enforce the same.
Every import counts, also those inside functions and under ``if TYPE_CHECKING``: a circle through a lazy import
is still a circle (the modules cannot be understood, tested or moved apart).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = (
    "zoo_dcgan",
    "zoo_wgan_gp",
    "zoo_sagan",
    "zoo_biggan_lite",
    "zoo_stylegan_lite",
    "zoo_style_transfer",
    "zoo_pix2pix",
    "zoo_cyclegan",
)


def test_import_contracts_are_kept() -> None:
    """The core's layers and 'the core imports no plugin' ([tool.importlinter] in pyproject.toml)."""
    code = (
        "import sys\nfrom importlinter.cli import lint_imports\n"
        f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, no_cache=True, no_logo=True))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"lint-imports found broken contracts:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"


def _circles(graph: grimp.ImportGraph, package: str) -> Iterator[list[str]]:
    """Strongly connected components of more than one module of ``package`` (Tarjan's algorithm, iterative)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(f"{package}."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            module, position = work.pop()
            if position == 0:
                index[module] = low[module] = len(index)
                stack.append(module)
                on_stack.add(module)
            for offset, target in enumerate(edges[module][position:], position):
                if target not in index:
                    work += [(module, offset + 1), (target, 0)]
                    break
                if target in on_stack:
                    low[module] = min(low[module], index[target])
            else:
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        yield sorted(component)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])


def _describe(graph: grimp.ImportGraph, circle: list[str]) -> str:
    """The imports that hold a circle together, with their lines, so whoever breaks it sees where."""
    lines = []
    members = set(circle)
    for importer in circle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            for detail in graph.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer}:{detail['line_number']}  {detail['line_contents']}")
    return f"  {{{', '.join(circle)}}}\n" + "\n".join(lines)


@pytest.mark.parametrize("facade", ["zoo", "zoo.hub"])
def test_the_core_imports_no_facade(facade: str) -> None:
    """``zoo`` and ``zoo.hub`` re-export names for users; the core imports the module defining a name instead, so
    the layers contract sees every import (it cannot see through a package that sits in no layer)."""
    graph = grimp.build_graph("zoo", cache_dir=None)
    importers = sorted(graph.find_modules_that_directly_import(facade))
    lines = [
        f"  {importer}:{detail['line_number']}  {detail['line_contents']}"
        for importer in importers
        for detail in graph.get_import_details(importer=importer, imported=facade)
    ]
    assert not importers, f"import these names from the module that defines them, not from {facade}:\n" + "\n".join(
        lines
    )


@pytest.mark.parametrize("package", ["zoo", *PLUGINS])
def test_no_import_circles(package: str) -> None:
    """No two modules of one package import each other, directly or round about (function-level imports too)."""
    graph = grimp.build_graph(package, cache_dir=None)
    circles = list(_circles(graph, package))
    report = "\n".join(_describe(graph, circle) for circle in circles)
    assert not circles, f"{package} has {len(circles)} import circle(s); move the shared piece down a layer:\n{report}"
