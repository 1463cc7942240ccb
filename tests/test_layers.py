"""The package's layers, as its folders show them: only ``bnorder/train/`` needs PyTorch, and a
lower layer never imports a higher one, so the book builds and the analysis runs without it."""

import ast
from pathlib import Path

import pytest

from without_torch import run_without_torch

PACKAGE = Path(__file__).resolve().parent.parent / "bnorder"

# Each layer and the layers it may import (besides itself and the package's ``__init__``).
MAY_IMPORT = {
    "orders": set(),                                    # bnorder/orders.py: the block orders
    "runs": {"orders"},                                 # configs, profiles, records, sweeps
    "train": {"orders", "runs"},                        # PyTorch
    "analysis": {"orders", "runs"},                     # records to numbers
    "findings": {"orders", "runs", "analysis"},         # book/findings.json
    "report": {"orders", "runs", "analysis", "findings"},  # the chapters' figures and tables
}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name, ``__main__`` (the command line) left out."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def layer(module: str) -> str | None:
    """The layer of ``bnorder.X...``: its folder, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None   # None: the package's __init__


def imports(module: str, path: Path, top_level_only: bool = False) -> set[str]:
    """The bnorder modules (and third-party roots) that ``module`` imports."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            out.add(target)
            out |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules()}
    return out


@pytest.mark.parametrize("module", sorted(modules()))
def test_a_module_imports_only_its_own_layer_and_those_below(module):
    own = layer(module)
    if own is None:
        return
    allowed = MAY_IMPORT[own] | {own}
    upward = sorted(m for m in imports(module, modules()[module])
                    if m.startswith("bnorder.") and layer(m) not in allowed)
    assert not upward, f"{module} ({own}) imports {upward}: a higher layer"


def test_every_folder_of_the_package_is_a_known_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert folders | top == set(MAY_IMPORT)


def test_only_the_train_layer_imports_torch_when_imported():
    outside = {m: p for m, p in modules().items() if layer(m) != "train"}
    direct = sorted(m for m, p in outside.items()
                    if any(i.split(".")[0] in ("torch", "torchvision") for i in imports(m, p, True)))
    assert not direct, f"import torch at import time outside bnorder/train/: {direct}"
    script = ("import importlib, sys\n"
              "for name in sys.argv[1:]:\n"
              "    importlib.import_module(name)\n")
    done = run_without_torch(PACKAGE.parent, script, *sorted(outside))
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_modules_import_one_another_without_a_cycle():
    graph = {m: {i for i in imports(m, p, True) if i in modules() and i != m}
             for m, p in modules().items()}
    # a package's __init__ imported by its own modules is not a cycle Python minds
    graph = {m: {i for i in deps if not m.startswith(i + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(m, trail):
        if state.get(m) == 1:
            raise AssertionError("import cycle: " + " -> ".join(trail + [m]))
        if state.get(m) == 2:
            return
        state[m] = 1
        for d in sorted(graph[m]):
            visit(d, trail + [m])
        state[m] = 2

    for m in sorted(graph):
        visit(m, [])


def test_no_function_is_longer_than_a_screen():
    """A function a reader takes in at once: at most 60 lines, its docstring included."""
    long = sorted(f"{p.relative_to(PACKAGE)}: {n.name} ({n.end_lineno - n.lineno + 1} lines)"
                  for p in PACKAGE.rglob("*.py") for n in ast.walk(ast.parse(p.read_text()))
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.end_lineno - n.lineno + 1 > 60)
    assert not long, long
