"""The package's data flow: design -> cells -> scores -> analysis -> report, with no module importing one above it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "biasorigins"

# Layers of the analysis package, bottom first; a module may import its own layer or lower ones only.
ANALYSIS_LAYERS = (
    ("stats", "geometry", "kmeans", "scores", "findings", "welch_james"),
    ("paper", "simulation", "results"),
    ("randomness", "clustering", "attribution"),
    ("figures",),
    ("report",),
    ("analyze",),
    ("__init__",),
)


def runtime_imports(path: Path) -> set[str]:
    """Modules a file imports when it runs (anywhere, also inside functions), not for type checking only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("biasorigins")}


def test_analysis_imports_nothing_that_runs_studies_or_models() -> None:
    # tables: writing files only; display: formatting numbers and HTML (imports nothing of ours)
    allowed = ("biasorigins.analysis", "biasorigins.errors", "biasorigins.tables", "biasorigins.display")
    for path in sorted((PACKAGE / "analysis").glob("*.py")):
        outside = {name for name in runtime_imports(path) if not name.startswith(allowed)}
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_analysis_modules_import_only_their_layer_or_lower() -> None:
    rank = {module: level for level, modules in enumerate(ANALYSIS_LAYERS) for module in modules}
    files = sorted((PACKAGE / "analysis").glob("*.py"))
    assert {path.stem for path in files} == set(rank), "put every analysis module in ANALYSIS_LAYERS"
    for path in files:
        for name in runtime_imports(path):
            target = name.removeprefix("biasorigins.analysis").lstrip(".") or "__init__"
            if name.startswith("biasorigins.analysis"):
                assert rank[target] <= rank[path.stem], f"{path.name} imports {name}, a layer above it"


def test_the_check_can_fail(tmp_path: Path) -> None:
    module = tmp_path / "scores.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import biasorigins.suite\n"
                      "def f():\n    from biasorigins.analysis.report import write_report\n")
    assert runtime_imports(module) == {"biasorigins.analysis.report"}


def test_public_classes_import_from_the_package_that_owns_them() -> None:
    import subprocess
    import sys

    code = ("from biasorigins.crosstuning import CrossTuning\nimport biasorigins\n"
            "assert CrossTuning is biasorigins.CrossTuning\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          cwd=PACKAGE.parent, timeout=120)
    assert done.returncode == 0, done.stderr
