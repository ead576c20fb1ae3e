"""hlm_py.verify and hlm_py.cli import at module level only, without cycles
(the layering rule: no ``import`` inside a function to dodge a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "hlm_py"
CHECKED = sorted((ROOT / "verify").glob("*.py")) + [ROOT / "cli.py"]


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node, node.module))
            out += [(node, f"{node.module}.{a.name}") for a in node.names]
    return out


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.name)
def test_no_hlm_py_import_inside_a_function(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    inner = sorted({name for node, name in _imports(tree)
                    if name.startswith("hlm_py") and id(node) not in top})
    assert not inner, f"{path.name} imports {inner} inside a function"


def test_verify_modules_import_without_cycles():
    modules = {_module(p): p for p in CHECKED}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {m for _, m in _imports(tree) if m in modules and m != name}
    state: dict[str, int] = {}

    def visit(node, stack):
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
