"""``i2i/video/`` sits in the runtime layer (docs/architecture.md, Layers): it may import the core, the
sessions, the named models and the runtime, never a layer above (the feature networks, data, the CLI...)."""

from __future__ import annotations

import ast
from pathlib import Path

import i2i

PACKAGE = Path(i2i.__file__).parent
#: The layers above the runtime (packages of i2i/).
ABOVE = ("data", "nn", "losses", "features", "eval", "optimize", "train", "export", "serve", "cli")


def imported(path: Path) -> set[str]:
    """Every absolute ``i2i...`` module name ``path`` imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {name for name in names if name == "i2i" or name.startswith("i2i.")}


def test_video_imports_nothing_above_the_runtime_layer():
    above = {f"i2i.{name}" for name in ABOVE}
    wrong = {
        f"{path.name} imports {name}"
        for path in sorted((PACKAGE / "video").glob("*.py"))
        for name in imported(path)
        if any(name == top or name.startswith(top + ".") for top in above)
    }
    assert not wrong, sorted(wrong)
    assert all((PACKAGE / name.split(".")[1]).is_dir() for name in above)  # the list names real packages
