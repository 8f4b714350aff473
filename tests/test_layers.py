"""The shape of the codebase that issue 39 set, checked: no import cycle among i2i's modules or packages
(imports inside functions count), no module over 450 lines, no pointer to a reference file users do not
have, and each task's name written only where the task is declared and trained.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "i2i"
MAX_LINES = 450


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (``i2i.x`` for ``i2i/x/__init__.py``)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the i2i modules it imports anywhere in its file (``from pkg import name`` counts as
    ``pkg.name`` when that is a module, else as ``pkg``)."""
    known = modules()

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if target.split(".")[0] == "i2i" and (found := owner(target)) and found != name:
                    graph[name].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(import_graph()) == []


def test_no_package_imports_one_that_imports_it_back() -> None:
    def package(name: str) -> str:
        return ".".join(name.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for name, targets in import_graph().items():
        own = package(name)
        graph.setdefault(own, set()).update(package(t) for t in targets if package(t) != own)
    assert cycles(graph) == []


def test_cycle_finder_sees_a_cycle_through_a_function_level_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_450_lines() -> None:
    lines = {str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in lines.items() if n > MAX_LINES} == {}


def test_no_pointer_to_the_workplace_reference_file() -> None:
    pointer = re.compile(r"REFERENCE(\.md| §)")
    assert [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if pointer.search(p.read_text())] == []


@pytest.mark.parametrize("task", ["pix2pix", "cyclegan", "cut", "fast_style"])
def test_a_task_name_is_written_where_the_task_is_declared_and_trained(task: str) -> None:
    literal = re.compile("[\"']" + task + "[\"']")
    files = PACKAGE.rglob("*.py")
    writers = sorted(str(p.relative_to(PACKAGE)) for p in files if literal.search(p.read_text()))
    assert f"tasks/{task}.py" in writers
    allowed = {f"tasks/{task}.py", f"train/{task}.py"}
    assert len(set(writers) - allowed) <= 1, writers  # one more reader at the most (e.g. the dataset catalog)


#: The torch-free core every layer above shares (docs/architecture.md, "Layers"): it imports only itself.
#: (``i2i/__init__.py`` is the public facade above everything: its lazy ``i2i.translate_ray``.)
CORE = {
    "i2i.errors", "i2i.files", "i2i.version", "i2i.tasks", "i2i.modelfile", "i2i.specs", "i2i.imageio",
    "i2i.pins", "i2i.console", "i2i.progress", "i2i.batch", "i2i.accel", "i2i.amp", "i2i.options",
    "i2i.output_paths", "i2i.user_dirs",
}  # fmt: skip


def test_the_core_imports_nothing_above_it() -> None:
    graph = import_graph()
    core = {name for name in graph if name in CORE or name.startswith("i2i.tasks.")}
    upward = {name: sorted(graph[name] - core) for name in core if graph[name] - core}
    assert not upward, f"core modules importing higher layers: {upward}"
