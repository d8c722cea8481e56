"""The house: data flows one way through the layer folders, with no import cycles and no borrowed private names.

Layers, lowest first (a module may import its own layer and the ones below, never above):

0. ``costmodel/*.py``: errors, checks, formatting, version (the shared vocabulary)
1. ``costmodel/store/``: schema, build, ingest of the seed files, queries (nothing of the domain)
2. ``costmodel/catalog/``: typed look-ups, aliases, prices in force, currencies, quality, importers
3. ``costmodel/models/``: memory, throughput and its calibration, cost
4. ``costmodel/scenarios/``: resolve every input once, then call the models (crossover, sweep, plan, horizon)
5. ``costmodel/outputs/``: analysis tables, charts, reports, the CLI
6. ``costmodel/__init__.py``: the public API

Function-level (lazy) imports count: a cycle hidden inside a function is still a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "costmodel"
README = PACKAGE.parent / "README.md"
LAYERS = ("store", "catalog", "models", "scenarios", "outputs")


def modules(package: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of a package folder."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layer(name: str, root: str) -> int:
    """Rank of a module: 0 foundation, 1-5 the layer folders, 6 the package's public API."""
    parts = name.split(".")
    if parts == [root]:
        return len(LAYERS) + 1
    if len(parts) == 2 and parts[1] not in LAYERS:
        return 0
    return LAYERS.index(parts[1]) + 1


def imports(name: str, path: Path, known: dict[str, Path]) -> tuple[set[str], list[str]]:
    """(modules ``name`` imports, private names it takes from other modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    private: list[str] = []
    aliases: dict[str, str] = {}  # local name -> module, for attribute access
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for a in node.names:
                full = f"{source}.{a.name}"
                if full in known:  # a module
                    targets.add(full)
                    aliases[a.asname or a.name] = full
                    if a.name.startswith("_"):
                        private.append(f"{name} imports the private module {full}")
                elif source in known:
                    targets.add(source)
                    if a.name.startswith("_") and not a.name.startswith("__") and source != name:
                        private.append(f"{name} imports {a.name} from {source}")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in known:
                    targets.add(a.name)
                    if a.asname:
                        aliases[a.asname] = a.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != name):
            private.append(f"{name} uses {aliases[node.value.id]}.{node.attr}")
    targets.discard(name)
    return targets, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def problems(package: Path) -> list[str]:
    """Every upward import, import cycle and borrowed private name in a package, as sentences."""
    root = package.name
    known = modules(package)
    edges: dict[str, set[str]] = {}
    out: list[str] = []
    for name, path in known.items():
        targets, private = imports(name, path, known)
        edges[name] = targets
        out += private
        for t in sorted(targets):
            if layer(t, root) > layer(name, root):
                out.append(f"{name} (layer {layer(name, root)}) imports {t} (layer {layer(t, root)}), a layer above it")
    out += [f"import cycle: {' <-> '.join(c)}" for c in cycles(edges)]
    return out


def test_the_flow_runs_one_way_with_no_cycles_and_no_private_names() -> None:
    assert problems(PACKAGE) == []


def test_the_checker_finds_an_upward_import_a_cycle_and_a_private_name(tmp_path: Path) -> None:
    pkg = tmp_path / "costmodel"
    for folder in ("store", "models", "outputs"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from costmodel.outputs import report\n")
    (pkg / "errors.py").write_text("")
    (pkg / "store" / "db.py").write_text("def f():\n    from costmodel.models import memory  # lazy, still upward\n")
    (pkg / "models" / "memory.py").write_text("from costmodel.store import db\nx = db._private\n")
    (pkg / "outputs" / "report.py").write_text("from costmodel.models.memory import _helper\n")
    found = problems(pkg)
    assert any("costmodel.store.db (layer 1) imports costmodel.models.memory (layer 3)" in p for p in found)
    assert any(p.startswith("import cycle:") and "costmodel.models.memory" in p and "costmodel.store.db" in p for p in found)
    assert "costmodel.models.memory uses costmodel.store.db._private" in found
    assert "costmodel.outputs.report imports _helper from costmodel.models.memory" in found
    assert len(found) == 4


PURE_MODELS = ("memory", "throughput", "cost")
"""Model modules that compute from typed inputs and read nothing: ``models/deployment.py`` looks their inputs up."""


def run_time_reads(path: Path) -> list[str]:
    """Imports of the store or the catalog in a module outside ``if TYPE_CHECKING:`` (annotations only), as sentences."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [f"{node.module}.{a.name}" for a in node.names])
        for name in names:
            if re.match(r"costmodel\.(store|catalog)\b", name) or name in ("costmodel.store", "costmodel.catalog"):
                found.append(f"{path.name} line {node.lineno} imports {name}")
    return found


@pytest.mark.parametrize("name", PURE_MODELS)
def test_the_models_are_pure_and_read_nothing(name: str) -> None:
    assert run_time_reads(PACKAGE / "models" / f"{name}.py") == []


def test_the_purity_check_sees_run_time_reads_and_allows_annotations(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from costmodel import catalog\n"
                      "def f():\n    from costmodel.store import query\n    import costmodel.catalog.prices\n")
    assert run_time_reads(module) == ["m.py line 5 imports costmodel.store.query",
                                      "m.py line 6 imports costmodel.catalog.prices"]


def _layout_text() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [line for line in text.split("## Layout", 1)[1].split("\n## ", 1)[0].splitlines() if line.startswith("|")]


def _layout_rows() -> list[str]:
    return [m.group(1) for line in _layout_text() if (m := re.match(r"^\| `([^`]+)`", line))]


@pytest.mark.skipif(not README.is_file(), reason="no README.md beside the package (installed, not a checkout)")
def test_the_readme_layout_table_matches_the_folders() -> None:
    listed = _layout_rows()
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert sorted(r.removeprefix("costmodel/").strip("/") for r in listed if re.fullmatch(r"costmodel/\w+/", r)) == folders
    for row in (r for r in listed if r.startswith("costmodel")):  # the package's files (data/ holds built, ignored files too)
        assert (PACKAGE.parent / row).exists(), f"README layout lists {row}, which does not exist"
    modules_listed = " ".join(_layout_text())
    for path in sorted(PACKAGE.glob("*/*.py")):  # every module of a layer is named in its row
        if path.name != "__init__.py":
            assert f"`{path.name}`" in modules_listed, f"README layout does not mention {path.relative_to(PACKAGE.parent)}"


def test_the_public_api_fits_on_one_screen_and_names_what_exists() -> None:
    import costmodel

    text = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 50
    for name in ("crossover", "compare", "sweep", "plan", "horizon", "Workload", "SelfHostOption", "ApiOption", "store"):
        assert name in costmodel.__all__
    for name in costmodel.__all__:
        assert getattr(costmodel, name) is not None
    for name in ("crossover", "compare", "sweep", "plan", "horizon", "throughput", "memory"):  # functions, not modules
        assert callable(getattr(costmodel, name)), name
