"""The layers read top-down: core ← geodata ← domain apps ← pages ← the project's wiring.

The walk uses grimp (the graph behind import-linter): every `import` statement in the code,
those inside functions too, since a deferred import is how a cycle hides. What Django loads by a
dotted string (settings, `importlib.import_module` on a registry's name) is not an import and
is allowed: that is how a lower layer is told about a higher one without knowing it
(pygeoapi-style providers: audience providers, tile layers, readiness checks).

Three rules, each a test, each failing with the offending import's file and line:
1. Every module belongs to an app listed in LAYERS (a new app must be placed before it lands).
2. No app imports an app of a higher layer (geodata imports no domain app, no domain app imports
   a page).
3. No import cycles: not between apps (domain apps may use one another, one way only) and not
   between modules of one app.

docs/architecture.md explains the layers and what each app does.
"""
from __future__ import annotations

from collections import defaultdict
from graphlib import CycleError, TopologicalSorter

import grimp
import pytest

PACKAGES = ("gridops", "geodata", "frontend")

# Bottom to top. An app may import apps of its own layer or below; within the domain layer the
# order is by use (accounts and realtime serve the others), enforced by rule 3, not by position.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("gridops.core",)),
    ("spatial", ("geodata",)),
    ("domain", ("gridops.accounts", "gridops.realtime", "gridops.incidents", "gridops.approvals",
                "gridops.education", "gridops.ledger", "gridops.emergency", "gridops.foresight", "gridops.sensors")),
    ("pages", ("gridops.console", "gridops.tablet", "gridops.screen", "gridops.ogc", "frontend")),
    ("project", ("gridops.settings", "gridops.urls", "gridops.asgi", "gridops.wsgi", "gridops")),
]
LEVEL = {app: level for level, (_, apps) in enumerate(LAYERS) for app in apps}


def app_of(module: str) -> str | None:
    """The longest listed app that is `module` or contains it (None: not placed in a layer)."""
    if module == "gridops":
        return module  # the project package itself; a new gridops.<app> must be listed
    parts = module.split(".")
    for cut in range(len(parts), 1 if module.startswith("gridops.") else 0, -1):
        name = ".".join(parts[:cut])
        if name in LEVEL:
            return name
    return None


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _imports(graph):
    """(importer, imported, "file line: statement") for every import between project modules;
    migrations are history, frozen as written, and are left out."""
    for importer in sorted(graph.modules):
        if ".migrations" in importer:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            details = graph.get_import_details(importer=importer, imported=imported)
            where = "; ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details)
            yield importer, imported, where


def test_every_module_is_placed_in_a_layer(graph):
    unplaced = sorted({module for module in graph.modules if app_of(module) is None})
    assert not unplaced, f"modules of no layer (add their app to LAYERS): {unplaced}"


def test_no_app_imports_a_higher_layer(graph):
    upward = []
    for importer, imported, where in _imports(graph):
        low, high = app_of(importer), app_of(imported)
        if low and high and LEVEL[high] > LEVEL[low]:
            upward.append(f"{importer} ({LAYERS[LEVEL[low]][0]}) imports {imported} "
                          f"({LAYERS[LEVEL[high]][0]}): {where}")
    assert not upward, "upward imports (register the higher module by a dotted path in settings " \
                       "instead):\n" + "\n".join(upward)


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(edges).prepare()
    except CycleError as error:
        return error.args[1]
    return None


def test_no_cycle_between_apps(graph):
    edges: dict[str, set[str]] = defaultdict(set)
    witness: dict[tuple[str, str], str] = {}
    for importer, imported, where in _imports(graph):
        a, b = app_of(importer), app_of(imported)
        if a and b and a != b and "gridops" not in (a, b):  # the package root only holds the apps
            edges[a].add(b)
            witness.setdefault((a, b), f"{importer} -> {imported} ({where})")
    cycle = _cycle(edges)
    steps = [witness[(cycle[i + 1], cycle[i])] for i in range(len(cycle) - 1)] if cycle else []
    assert cycle is None, "apps importing each other: " + " -> ".join(reversed(cycle)) + "\n" + "\n".join(steps)


def test_no_cycle_between_modules(graph):
    edges: dict[str, set[str]] = defaultdict(set)
    for importer, imported, _ in _imports(graph):
        # A package's __init__ importing its own submodule (and back) is Python's package
        # machinery, not a design cycle.
        if not (imported.startswith(importer + ".") or importer.startswith(imported + ".")):
            edges[importer].add(imported)
    cycle = _cycle(edges)
    assert cycle is None, "modules importing each other: " + " -> ".join(reversed(cycle or []))


def test_the_walk_finds_a_cycle_hidden_in_a_function(tmp_path, monkeypatch):
    """The rules above would pass vacuously if the walk missed imports inside functions (the way
    the incidents ↔ realtime cycle hid): a cycle closed by a deferred import must be caught."""
    package = tmp_path / "layeringprobe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from layeringprobe import high\n    return high\n")
    (package / "high.py").write_text("from layeringprobe import low\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = grimp.build_graph("layeringprobe", cache_dir=None)
    edges = {m: set(probe.find_modules_directly_imported_by(m)) for m in probe.modules}
    assert _cycle(edges) is not None
    assert app_of("gridops.incidents.api.views") == "gridops.incidents"
    assert app_of("gridops.newapp.views") is None and app_of("layeringprobe.low") is None
