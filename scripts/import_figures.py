#!/usr/bin/env python3
"""Count the imports between apps, for docs/architecture.md (standard library only).

Usage:
    python3 scripts/import_figures.py [ROOT] [--list]

Reads every module of apps/ (not migrations) and prints: import lines from one
app to another, apps to config, distinct pairs of apps, pairs that import each
other, lines against the order of docs/architecture.md, imports inside
functions (lazy), and groups of apps that import each other in a cycle. The
contracts themselves are checked by lint-imports (`make lint`).
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

# The layers of docs/architecture.md, bottom up; equal numbers: one layer.
ORDER = {
    "core": 1,
    "audit": 2,
    "accounts": 3,
    "catalog": 4,
    "checklists": 5,
    "contacts": 6,
    "oncall": 7,
    "releases": 8,
    "signoffs": 9,
    "probes": 9,
    "maintenance": 9,
    "monitoring": 10,
    "policy": 11,
    "readiness": 12,
    "notifications": 13,
    "records": 14,
    "demo": 14,
    "config": 15,
}


def edges(root: Path) -> list[tuple[str, str, str, bool]]:
    """(importing app, imported app or config, importing module, lazy)."""
    found = []
    for path in sorted((root / "apps").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        source = module.split(".")[1]

        def visit(node: ast.AST, lazy: bool, module=module, source=source) -> None:
            for child in ast.iter_child_nodes(node):
                targets = []
                if (
                    isinstance(child, ast.ImportFrom)
                    and child.module
                    and not child.level
                ):
                    targets = [child.module]
                elif isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                for target in targets:
                    if target.startswith("apps."):
                        found.append((source, target.split(".")[1], module, lazy))
                    elif target == "config" or target.startswith("config."):
                        found.append((source, "config", module, lazy))
                function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                visit(child, lazy or function)

        visit(ast.parse(path.read_text()), False)
    return [edge for edge in found if edge[0] != edge[1]]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one app (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def strong(app: str) -> None:
        index[app] = low[app] = len(index)
        stack.append(app)
        for other in sorted(graph.get(app, ())):
            if other not in index:
                strong(other)
                low[app] = min(low[app], low[other])
            elif other in stack:
                low[app] = min(low[app], index[other])
        if low[app] == index[app]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == app:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for app in sorted(set(graph) | {o for others in graph.values() for o in others}):
        if app not in index:
            strong(app)
    return groups


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    found = edges(Path(args[0] if args else "."))
    between_apps = [edge for edge in found if edge[1] != "config"]
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in between_apps:
        graph[edge[0]].add(edge[1])
    pairs = {(edge[0], edge[1]) for edge in between_apps}
    mutual = sorted({tuple(sorted(pair)) for pair in pairs if pair[::-1] in pairs})
    against = [
        edge
        for edge in between_apps
        if ORDER.get(edge[1], 99) >= ORDER.get(edge[0], 99)
    ]
    print(f"import lines from one app to another: {len(between_apps)}")
    print(f"import lines from an app to config: {len(found) - len(between_apps)}")
    print(f"distinct pairs of apps: {len(pairs)}")
    print(f"pairs of apps importing each other: {len(mutual)}")
    print(f"import lines against the order: {len(against)}")
    print(f"imports inside functions (lazy): {sum(edge[3] for edge in found)}")
    print(f"cycles between apps: {len(cycles(graph))} {cycles(graph)}")
    if "--list" in sys.argv:
        for _, target, module, lazy in against:
            print(f"against: {module} -> {target}{' (lazy)' if lazy else ''}")


if __name__ == "__main__":
    main()
