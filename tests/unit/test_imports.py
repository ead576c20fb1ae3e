"""Every module of hlm_py imports hlm_py at module level only, and the
package has no import cycle (the layering rule: data flows one way, and no
``import`` inside a function hides a cycle). ``if TYPE_CHECKING:`` blocks
count as inside: a type that crosses layers is a Protocol."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "hlm_py"
FILES = sorted(ROOT.rglob("*.py"))


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module(p): p for p in FILES}


def _absolute(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = here.split(".") if is_package else here.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(path: Path) -> list[tuple[bool, str]]:
    """(at module level, imported hlm_py module) for each import of ``path``."""
    here = _module(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = _absolute(node, here, path.name == "__init__.py")
            names = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod
                     for a in node.names]
        out += [(id(node) in top, n) for n in names if n.startswith("hlm_py")]
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_hlm_py_import_inside_a_function_or_block(path):
    inner = sorted({n for at_top, n in _targets(path) if not at_top})
    assert not inner, f"{path.relative_to(ROOT)} imports {inner} inside a function or block"


def test_hlm_py_has_no_import_cycle():
    graph = {name: {n for _, n in _targets(path) if n in MODULES and n != name}
             for name, path in MODULES.items()}
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
