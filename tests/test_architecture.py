"""The package layout is the architecture: stages import only what lies below them, and no
module imports a module that imports it back. Read from the source with `ast`, function-level
imports included, so a lazy import cannot hide a cycle or a reach upwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "ingest"

# Lowest first. A module may import from its own layer and the layers below it, never above.
LAYERS: list[set[str]] = [
    {
        "ingest",
        "ingest.models",
        "ingest.config",
        "ingest.css_select",
        "ingest.clock",
        "ingest.paths",
        "ingest.text",
    },
    {"ingest.crawl"},
    {"ingest.extract"},
    {"ingest.tag"},
    {"ingest.stages"},
    {"ingest.store"},
    {"ingest.activities"},
    {"ingest.evidence"},
    {"ingest.publish"},
    {"ingest.quality", "ingest.testing"},  # tools over the stages: the pipeline never imports them
    {"ingest.reprocess", "ingest.cli", "ingest.commands"},
]
STAGE_PACKAGES = [
    "crawl",
    "extract",
    "tag",
    "text",
    "store",
    "activities",
    "evidence",
    "publish",
    "quality",
    "testing",
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = SRC.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """Every ingest module this file imports, at any depth of the file."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "ingest"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "ingest":
                continue
            subs = {f"{target}.{a.name}" for a in node.names if is_module(f"{target}.{a.name}")}
            found |= subs or {target}
    return found - {me}


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    for n, layer in enumerate(LAYERS):
        if any(module == top or module.startswith(top + ".") for top in layer - {"ingest"}):
            return n
    assert module == "ingest", f"{module} is in no layer: add it to LAYERS"
    return 0


def test_every_module_has_a_layer():
    assert len(GRAPH) > 40
    for module in GRAPH:
        layer_of(module)


def test_no_stage_imports_a_higher_one():
    upward = [
        f"{m} (layer {layer_of(m)}) imports {t} (layer {layer_of(t)})"
        for m, targets in GRAPH.items()
        for t in sorted(targets)
        if layer_of(t) > layer_of(m)
    ]
    assert upward == []


def test_no_import_cycles():
    """Tarjan's strongly connected components: any component of two or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in GRAPH:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize("package", STAGE_PACKAGES)
def test_each_stage_package_says_what_it_takes_and_gives(package):
    """A docstring for the newcomer, and the public names it re-exports really exist."""
    import importlib

    mod = importlib.import_module(f"ingest.{package}")
    assert mod.__doc__ and len(mod.__doc__.split()) > 30
    for name in getattr(mod, "__all__", []):
        assert hasattr(mod, name), f"ingest.{package}.__all__ names missing {name}"


def test_the_datasette_plugin_module_only_registers_hooks():
    tree = ast.parse((PACKAGE / "publish" / "plugin.py").read_text(encoding="utf-8"))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert functions
    for fn in functions:
        decorators = [ast.unparse(d) for d in fn.decorator_list]
        assert any(d.startswith("hookimpl") for d in decorators), fn.name
    for path in (PACKAGE / "publish").glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name
