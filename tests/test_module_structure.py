"""How the product's modules depend on each other: never on the tests, and never in a circle.

Read from the source (the import statements, and the dotted paths handed to `import_module` /
`import_string`), so an import inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCT_PACKAGES = ("config", "accounts", "mcpgateway")
# The test suite's own settings live beside the product's, and may name test modules.
TEST_ONLY = {ROOT / "config" / "settings_test.py"}
DOTTED_TESTS_PATH = re.compile(r"tests(\.[A-Za-z_]\w*)+")


def product_files() -> list[Path]:
    files = [p for package in PRODUCT_PACKAGES for p in (ROOT / package).rglob("*.py")]
    return sorted({*files, ROOT / "manage.py"} - TEST_ONLY)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of everything `path` imports or names for importing."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED_TESTS_PATH.fullmatch(node.value):
            found.append((node.lineno, node.value))  # a dotted path for import_module/import_string/settings
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("import_module", "import_string", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_product_code_never_imports_the_tests():
    offending = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in product_files()
        for line, name in imported_names(path)
        if name == "tests" or name.startswith("tests.")
    ]
    assert offending == []


def import_graph() -> dict[str, set[str]]:
    """Product module -> the product modules importing it runs (a module's parent packages run first,
    except the importer's own, which are already running)."""
    modules = {module_name(path): path for path in product_files()}
    graph = {}
    for module, path in modules.items():
        edges = set()
        for _line, name in imported_names(path):
            # `from package import name` imports a submodule when there is one, else the package.
            target = name if name in modules else name.rpartition(".")[0]
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                ancestor = ".".join(parts[:i])
                if ancestor in modules and not (module == ancestor or module.startswith(ancestor + ".")):
                    edges.add(ancestor)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while (member := stack.pop()) != module:
                component.append(member)
            if component:
                found.append(sorted([module, *component]))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_among_product_modules():
    assert cycles(import_graph()) == []
