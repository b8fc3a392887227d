"""The house rules on imports (docs/testing.md, "Architecture"), read from the source with ``ast``:

- imports point down: ``core`` imports no ``plugins`` and no ``webui``; ``plugins`` import no
  ``webui``; a plugin imports no other plugin. Every import counts here, at module level, in a
  function or under ``if TYPE_CHECKING:`` (a late import is still a dependency).
- no import cycle among the modules of ``core``, ``plugins`` and ``webui``. The graph holds the
  module-level imports, including those under ``if TYPE_CHECKING:`` (a type-only import still
  ties the modules together, and the cycle issue 11 names closes through one); imports inside
  functions are left out (they are how a module reaches a sibling it must not import at load
  time, e.g. the cashier's PIN page rendering the member page).

An import resolves to the module it names: ``from . import bp`` in a package is an edge to the
package's ``__init__``, ``from .. import screens`` an edge to ``webui.screens``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = ("core", "plugins", "webui")

# Cycles known today, each spelled out, that a branch is breaking. A listed cycle that is gone
# fails the test too, so the list is emptied when the fix lands.
EXPECTED_CYCLES: dict[frozenset[str], str] = {}  # none: keep it so


# -- reading imports ------------------------------------------------------------------------------

def source_modules(root: Path, trees=TREES) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``trees``."""
    modules = {}
    for tree in trees:
        for path in sorted((root / tree).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool, int]]:
    """(imported module, at module level, line) of every import statement in ``path``.

    Module level includes ``if TYPE_CHECKING:`` blocks, ``try`` and other statements outside a
    function or lambda.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((alias.name, not inside, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                for alias in child.names:
                    submodule = f"{source}.{alias.name}" if source else alias.name
                    found.append((submodule if submodule in modules else source, not inside, child.lineno))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def import_graph(root: Path, trees=TREES) -> dict[str, list[tuple[str, bool, int]]]:
    modules = source_modules(root, trees)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


# -- the rules ------------------------------------------------------------------------------------

def layer_violations(graph) -> list[str]:
    """Every import that points up (core -> plugins/webui, plugins -> webui) or across plugins."""
    problems = []
    for name, imports in graph.items():
        parts = name.split(".")
        for target, _module_level, line in imports:
            target_parts = target.split(".")
            if parts[0] == "core" and target_parts[0] in ("plugins", "webui"):
                problems.append(f"{name}:{line} imports {target}: the core imports no plugin and no webui")
            elif parts[0] == "plugins" and target_parts[0] == "webui":
                problems.append(f"{name}:{line} imports {target}: a plugin imports no webui")
            elif parts[0] == "plugins" and target_parts[0] == "plugins" and len(parts) > 1 \
                    and len(target_parts) > 1 and parts[1] != target_parts[1]:
                problems.append(f"{name}:{line} imports {target}: a plugin imports no other plugin")
    return problems


def import_cycles(graph) -> list[frozenset[str]]:
    """The strongly connected components (Tarjan) of more than one module in the module-level
    import graph: each is one or more import cycles."""
    edges = {name: sorted({target for target, module_level, _line in imports
                           if module_level and target in graph and target != name})
             for name, imports in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in edges[node]:
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(frozenset(component))

    for node in edges:
        if node not in index:
            connect(node)
    return components


def describe(component: frozenset[str], graph) -> str:
    """The module-level imports inside one cycle, to read what to break."""
    lines = [f"{name} -> {target} (line {line})" for name in sorted(component)
             for target, module_level, line in graph[name] if module_level and target in component]
    return "\n    ".join(sorted(set(lines)))


# -- the project ----------------------------------------------------------------------------------

def test_imports_point_down_and_no_plugin_imports_another():
    assert layer_violations(import_graph(ROOT)) == []


def test_no_import_cycles_beyond_the_expected_ones():
    graph = import_graph(ROOT)
    found = import_cycles(graph)
    unexpected = [describe(c, graph) for c in found if c not in EXPECTED_CYCLES]
    assert not unexpected, "import cycles:\n    " + "\n\n    ".join(unexpected)
    gone = [sorted(c) for c in EXPECTED_CYCLES if c not in found]
    assert not gone, f"these expected cycles are broken now: remove them from EXPECTED_CYCLES: {gone}"


# -- the checker finds what it should (it must be able to fail) -------------------------------------

def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def toy(tmp_path):
    write(tmp_path, {
        "core/__init__.py": "",
        "core/a.py": "from .b import thing\n",
        "core/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import other\n",
        "core/c.py": "def late():\n    from webui import app\n",
        "core/d.py": "def late():\n    from .e import x\n",
        "core/e.py": "from . import d\n",
        "plugins/__init__.py": "",
        "plugins/one/__init__.py": "from plugins.two import helper\n",
        "plugins/one/x.py": "from core import a\n",
        "plugins/two/__init__.py": "helper = 1\n",
        "plugins/two/y.py": "import webui.pages\n",
        "webui/__init__.py": "from flask import Blueprint\nbp = Blueprint('w', __name__)\nfrom . import pages\n",
        "webui/pages.py": "from . import bp\n",
    })
    return import_graph(tmp_path)


def test_the_checker_reports_upward_and_cross_plugin_imports(toy):
    problems = layer_violations(toy)
    assert any(p.startswith("core.c:2 imports webui") for p in problems)  # in a function too
    assert any(p.startswith("plugins.one:1 imports plugins.two") for p in problems)
    assert any(p.startswith("plugins.two.y:1 imports webui.pages") for p in problems)
    assert not any(p.startswith("plugins.one.x") for p in problems)  # plugins may import core
    assert len(problems) == 3


def test_the_checker_finds_cycles_through_type_checking_and_package_inits(toy):
    cycles = import_cycles(toy)
    assert frozenset({"core.a", "core.b"}) in cycles  # closes under TYPE_CHECKING
    assert frozenset({"webui", "webui.pages"}) in cycles  # the blueprint-in-__init__ pattern
    assert frozenset({"core.d", "core.e"}) not in cycles  # d reaches e only inside a function
    assert len(cycles) == 2
