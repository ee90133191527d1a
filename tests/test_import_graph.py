"""No import cycle between the project's own modules (issue 9, 'Checks that must pass').

The graph is read from the source with `ast`, never by importing. Every `import` and
`from ... import` counts wherever it stands: at the top of a module, or inside a function
(a cycle that only bites when the function runs is still a cycle).

Imports under `if TYPE_CHECKING:` are counted too, in a second check. They make no cycle
at run time, but the point is how the modules depend on one another: a module that names
another's types depends on it as surely as one that calls it, and two modules that name
each other can be neither read nor moved one without the other. The only exceptions are
listed in KNOWN_TYPE_ONLY_EDGES, each with the work that removes it.

An edge goes to the module an import names, not to the packages around it: `from
cogs.oncall.service import Rotation` runs cogs/oncall/__init__.py as well, but a package
whose `setup()` imports its own submodules is not a tangle. `fakediscord/` (the emulator,
a separate piece that knows nothing of the bot) is left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cogs", "core", "db", "config", "sandbox", "bench")

# None left: views call their cog through the feature's Protocol (issue 9's "Views talk
# to cogs through a typed interface"), never import it.
KNOWN_TYPE_ONLY_EDGES: set[tuple[str, str]] = set()

Graph = dict[str, set[str]]


def project_modules() -> dict[str, Path]:
    files = [ROOT / "bot.py"]
    for package in PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return {module_name(path): path for path in files}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_statements(node: ast.AST, typing_only: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every import statement under `node`, and whether it sits under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield from _import_statements(ast.Module([statement], []), True)
            for statement in child.orelse:
                yield from _import_statements(ast.Module([statement], []), typing_only)
        elif isinstance(child, ast.Import | ast.ImportFrom):
            yield child, typing_only
        else:
            yield from _import_statements(child, typing_only)


def imports_of(path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, bool]]:
    """The project modules one file imports, each with whether only for type checking."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for statement, typing_only in _import_statements(tree, False):
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if target := resolve(alias.name):
                    yield target, typing_only
        elif isinstance(statement, ast.ImportFrom):
            if statement.level:
                base = package[: len(package) - statement.level + 1]
                module = ".".join([*base, statement.module] if statement.module else base)
            else:
                module = statement.module or ""
            for alias in statement.names:
                # `from package import submodule` names the submodule.
                submodule = f"{module}.{alias.name}"
                if target := submodule if submodule in modules else resolve(module):
                    yield target, typing_only


def import_graphs() -> tuple[Graph, Graph]:
    """The graph of run-time imports, and the graph with TYPE_CHECKING imports added."""
    modules = project_modules()
    runtime: Graph = {name: set() for name in modules}
    everything: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        for target, typing_only in imports_of(path, modules):
            if target != name:
                everything[name].add(target)
                if not typing_only:
                    runtime[name].add(target)
    return runtime, everything


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of modules that import one another (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_a_cycle_through(min(group), group, graph) for group in groups]


def _a_cycle_through(start: str, group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest path from `start` back to itself inside its group."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & group):
                if successor == start:
                    return [*paths[node], start]
                if successor not in paths:
                    paths[successor] = [*paths[node], successor]
                    following.append(successor)
        frontier = following
    raise AssertionError(f"{start} is in a group of modules but on no cycle")


def _listed(found: list[list[str]]) -> str:
    return "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_graph_sees_every_kind_of_import() -> None:
    runtime, everything = import_graphs()
    assert "fakediscord" not in runtime
    assert "config.content" in runtime["bot"]  # at the top
    assert "sandbox.console" in runtime["bot"]  # inside main()
    assert "cogs.helpnow.cog" in runtime["cogs.helpnow"]  # inside setup()
    assert "core.bot" not in runtime["cogs.helpnow.cog"]  # under TYPE_CHECKING ...
    assert "core.bot" in everything["cogs.helpnow.cog"]  # ... counted in the second graph


def test_the_cycle_finder_names_the_modules_in_order() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_at_run_time() -> None:
    runtime, _ = import_graphs()
    found = cycles(runtime)
    assert not found, _listed(found)


def test_no_import_cycle_counting_type_checking_imports_beyond_the_known_ones() -> None:
    runtime, everything = import_graphs()
    for importer, imported in KNOWN_TYPE_ONLY_EDGES:
        assert imported not in runtime[importer], f"{importer} now imports {imported} at run time"
        everything[importer].discard(imported)
    found = cycles(everything)
    assert not found, _listed(found)
