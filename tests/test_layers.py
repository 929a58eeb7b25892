"""The core's shape: layers that import only downwards (import-linter), no import cycle among its modules
(imports inside functions included), and no module too long to read."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from orchestrator.core.config import REPO_ROOT

CORE = REPO_ROOT / "orchestrator"
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the core modules it imports anywhere in its text (module level or inside functions)."""
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            targets |= {t for t in map(resolve, names) if t and t != module}
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_core_modules():
    graph = import_graph()
    assert "orchestrator.runtime.instances" in graph  # the walk found the layers
    assert cycles(graph) == []


def test_lower_layers_never_import_higher_ones():
    """The same rule as the import-linter contract, checked on our own graph (lazy imports included)."""
    order = ["store", "core", "bpmn", "identity", "deploy", "jobs", "runtime", "gov", "service", "cli"]
    rank = {name: i for i, name in enumerate(order)}
    wrong = []
    for module, targets in import_graph().items():
        layer = module.split(".")[1] if "." in module else None
        for target in targets:
            other = target.split(".")[1] if "." in target else None
            if layer in rank and other in rank and rank[other] > rank[layer]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_the_import_linter_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "orchestrator's layers KEPT" in result.stdout


def test_no_module_is_longer_than_600_lines():
    long = []
    for folder in ("orchestrator", "admin", "bench", "tools", "docker"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                long.append(f"{path.relative_to(REPO_ROOT)}: {lines}")
    assert long == []
