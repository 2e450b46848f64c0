"""Meta-test: every hook is tested and documented (datasette's rule), so none is permanent API by accident."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from zoo import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS_DOC = ROOT / "docs" / "hooks.md"


def _hook_signatures() -> dict[str, str]:
    """Each hookspec's name and its exact ``def name(args) -> ret:`` line, read from the source."""
    source = Path(hookspecs.__file__).read_text()
    lines = source.splitlines()
    return {
        node.name: lines[node.lineno - 1].strip()
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and any(getattr(d, "id", None) == "hookspec" for d in node.decorator_list)
    }


HOOKS = _hook_signatures()


def test_hookspecs_were_found() -> None:
    assert len(HOOKS) >= 5, HOOKS


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_documented(hook: str) -> None:
    assert HOOKS[hook] in HOOKS_DOC.read_text(), f"docs/hooks.md lacks the signature line: {HOOKS[hook]}"


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_tested(hook: str) -> None:
    me = Path(__file__).resolve()
    tests = [p for p in (ROOT / "tests").rglob("*.py") if p.resolve() != me and hook in p.read_text()]
    assert tests, f"no test under tests/ mentions {hook}: add one"
