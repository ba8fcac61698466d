"""The package's imports point one way (docs/architecture.md draws the layers).

Read with ``ast`` from the source, not by importing: every ``import`` and ``from … import``
of a dualdiff module, at module level and inside function bodies, relative or absolute.

- no circle among module-level imports;
- no module imports another module's private ``_name`` (nor reaches ``alias._name``);
- nothing in the library imports ``dualdiff.cli`` (only ``__main__`` runs it);
- a module-level import never points to a higher layer; an import inside a function
  body may, only when it is listed in ``LAZY_UP`` below with its reason.

A new module must be given a layer here and a line in docs/architecture.md.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dualdiff"

# Lowest first.  A module may import modules of its own layer or lower ones.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "numerics", "files", "numfmt", "tolerance", "registry", "sanitize"),  # leaves: stdlib/numpy only
    ("rules",),                                   # the rule table
    ("dual", "jet"),                              # the number types
    ("functions", "arrays"),                      # generated from the table; numpy array code on Duals
    ("operators", "vectorops"),                   # derivative … taylor; the language's vector operations
    ("program", "parse", "printing", "evaluate", "exactgraph", "formula"),  # programs: data, text, evaluation
    ("trace", "record", "backprop", "second"),    # traces of programs and of callables
    ("handtable",),                               # reading hand tables (the whole package)
    ("render", "symbolic", "symbolic_arrays", "verify", "handvectors", "reference", "audit", "diagnose",
     "diagnose_vectors", "worksheet", "subgradients"),                # readers of a trace
    ("grading", "report", "plotting", "plot", "diffexpr"),  # batches, figures, one expression
    ("dualdiff",),                                # the public face (__init__)
    ("cli", "__main__"),                          # the command line; nothing imports it
]

# Imports inside a function body that point up a layer: the caller is a convenience
# method on a lower object, and the module it reaches imports the caller at module level.
LAZY_UP: dict[tuple[str, str], str] = {
    ("trace", "render"): "Trace.table / to_json / to_dict: presentation reads the trace",
    ("trace", "symbolic"): "Trace.check_symbolic: the sympy cross-check reads the trace",
    ("trace", "verify"): "Trace.verify: verification reads the trace",
    ("trace", "reference"): "Trace.reference: the high-precision re-evaluation reads the trace",
    ("trace", "audit"): "Trace.audit: the precision audit reads the trace",
}

# Module-level circles that exist today and are being removed (none at the moment).
KNOWN_CYCLES: set[frozenset[str]] = set()

# Private names used across modules today, being removed by the rule-table work (issue 10,
# item 2): the three reciprocal trigonometric kernels that numerics.py keeps private.
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()  # none left: add here only with a reason


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    name = ".".join(parts)
    return name[len("dualdiff."):] if name.startswith("dualdiff.") else name


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


class Import:
    def __init__(self, source: str, target: str, names: list[str], lazy: bool, line: int):
        self.source, self.target, self.names, self.lazy, self.line = source, target, names, lazy, line

    def __repr__(self) -> str:
        kind = "lazy " if self.lazy else ""
        return f"{self.source}:{self.line} {kind}imports {self.target} {self.names or ''}"


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The dualdiff-relative name a ``from`` import refers to ("" for the package)."""
    if node.level == 0:
        name = node.module or ""
        if name != "dualdiff" and not name.startswith("dualdiff."):
            return "<outside>"
        return name[len("dualdiff."):] if name.startswith("dualdiff.") else "dualdiff"
    here = [] if module == "dualdiff" else module.split(".")
    package = here if is_package else here[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    parts = base + (node.module.split(".") if node.module else [])
    return ".".join(parts) or "dualdiff"


def _imports(module: str, path: Path, modules: dict[str, Path] = MODULES
             ) -> tuple[list[Import], list[tuple[int, str, str]]]:
    """The module's imports of dualdiff modules, and its ``alias._name`` reaches."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    aliases: dict[str, str] = {}          # local name -> dualdiff module it is bound to

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for a in child.names:
                    if a.name == "dualdiff" or a.name.startswith("dualdiff."):
                        target = a.name[len("dualdiff."):] if "." in a.name else "dualdiff"
                        found.append(Import(module, target, [], lazy, child.lineno))
                        aliases[a.asname or a.name.split(".")[0]] = target if a.asname else "dualdiff"
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, is_package, child)
                if target != "<outside>":
                    for a in child.names:
                        sub = a.name if target == "dualdiff" else f"{target}.{a.name}"
                        if sub in modules:                 # "from . import functions as F"
                            found.append(Import(module, sub, [], lazy, child.lineno))
                            aliases[a.asname or a.name] = sub
                        else:
                            found.append(Import(module, target, [a.name], lazy, child.lineno))
            visit(child, inner)

    visit(tree, False)
    reaches = [(n.lineno, aliases[n.value.id], n.attr) for n in ast.walk(tree)
               if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
               and n.attr.startswith("_") and not n.attr.startswith("__")]
    return found, reaches


IMPORTS: list[Import] = []
REACHES: list[tuple[str, int, str, str]] = []
for _name, _path in MODULES.items():
    _found, _reaches = _imports(_name, _path)
    IMPORTS += _found
    REACHES += [(_name, line, target, attr) for line, target, attr in _reaches]


def _layer_of(module: str) -> int | None:
    top = module.split(".")[0]
    for i, layer in enumerate(LAYERS):
        if module in layer or top in layer:
            return i
    return None


def _same_family(a: str, b: str) -> bool:
    """A package and its own submodules (handtable, handtable.cells) are one unit."""
    return a.split(".")[0] == b.split(".")[0]


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------
def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if _layer_of(m) is None)
    assert not missing, (f"modules without a layer: {missing}; add each to LAYERS in tests/test_layout.py "
                         "and a line to docs/architecture.md")


def test_the_reader_sees_imports_of_every_kind():
    """The checks below are only as good as the import reader: it must see relative,
    absolute, module-level and function-level imports."""
    seen = {(i.source, i.target, i.lazy) for i in IMPORTS}
    assert ("trace", "render", True) in seen              # lazy, relative: Trace.table
    assert ("trace", "evaluate", False) in seen           # module level, relative
    assert ("handtable.model", "errors", False) in seen   # two dots: "from ..errors import"
    assert ("__main__", "cli", False) in seen
    assert ("evaluate", "functions", False) in seen       # "from . import functions as F"


def test_no_circle_among_module_level_imports():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        if not i.lazy and i.target in graph and i.target != i.source:
            graph[i.source].add(i.target)
    # Tarjan's strongly connected components: every component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
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
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            strongconnect(v)
    new = [c for c in circles if frozenset(c) not in KNOWN_CYCLES]
    assert not new, f"import circles at module level: {new}"


def test_no_private_name_crosses_a_module():
    bad = [repr(i) for i in IMPORTS if i.target != i.source
           and any(n.startswith("_") and not n.startswith("__") and (i.source, i.target, n) not in KNOWN_PRIVATE
                   for n in i.names)]
    bad += [f"{src}:{line} reaches {target}.{attr}" for src, line, target, attr in REACHES
            if target != src and (src, target, attr) not in KNOWN_PRIVATE]
    assert not bad, "private names used from another module:\n" + "\n".join(bad)


def test_the_library_never_imports_the_cli():
    bad = [repr(i) for i in IMPORTS if i.target == "cli" and i.source != "__main__"]
    assert not bad, "the library imports dualdiff.cli:\n" + "\n".join(bad)


def test_imports_point_down_the_layers():
    bad = []
    for i in IMPORTS:
        src, dst = _layer_of(i.source), _layer_of(i.target)
        if src is None or dst is None or _same_family(i.source, i.target) or dst <= src:
            continue
        key = (i.source.split(".")[0], i.target.split(".")[0])
        if i.lazy and key in LAZY_UP:
            continue
        bad.append(repr(i) + (" (a module-level import)" if not i.lazy else " (lazy, not in LAZY_UP)"))
    assert not bad, "imports pointing up the layers:\n" + "\n".join(bad)


@pytest.mark.parametrize("key", sorted(LAZY_UP))
def test_every_allowed_lazy_import_still_exists(key):
    """An allowlist entry nobody needs any more is removed, so the list stays honest."""
    assert any(i.lazy and (i.source, i.target) == key for i in IMPORTS), f"{key} is no longer imported: drop it"


@pytest.mark.parametrize("key", sorted(KNOWN_PRIVATE))
def test_every_known_private_use_still_exists(key):
    src, target, name = key
    used = any(i.source == src and i.target == target and name in i.names for i in IMPORTS) or \
        any((s, t, a) == key for s, _, t, a in REACHES)
    assert used, f"{key} is gone: drop it from KNOWN_PRIVATE"


# ---------------------------------------------------------------------------
# The checks themselves catch what they are meant to (on made-up modules)
# ---------------------------------------------------------------------------
def test_the_reader_flags_a_private_import_and_a_cli_import(tmp_path):
    pkg = tmp_path / "dualdiff"
    pkg.mkdir()
    (pkg / "a.py").write_text("from .b import _hidden\nimport dualdiff.cli\n\n"
                              "def f():\n    from . import b\n    return b._x\n")
    modules = {"a": pkg / "a.py", "b": pkg / "b.py", "cli": pkg / "cli.py"}
    found, reaches = _imports("a", pkg / "a.py", modules)
    assert [(i.target, i.names, i.lazy) for i in found] == [("b", ["_hidden"], False), ("cli", [], False),
                                                           ("b", [], True)]
    assert reaches == [(6, "b", "_x")]
