"""Fail when first-party modules import each other in a cycle (imports inside functions count).

`make check` runs it. The graph is grimp's (the one import-linter checks its contracts on):
every import of messenger, tenants, inboxes and billing, at module level or inside a function.
A cycle is a strongly connected set of modules; the edges in EXPECTED are left out first, so a
cycle that only exists through them is reported as expected and does not fail.

    PYTHONPATH=.:platform .venv/bin/python scripts/import_cycles.py [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping

PACKAGES = ("messenger", "tenants", "inboxes", "billing")

# Removed by the domain-events change (conversations publish events, routing subscribes):
# delete the entry when it lands.
EXPECTED: set[tuple[str, str]] = set()


def import_graph(packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Each first-party module and the first-party modules it imports directly."""
    import grimp

    graph = grimp.build_graph(*packages, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected sets of two or more modules (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the repository to check (default: here)")
    root = os.path.abspath(parser.parse_args().root)
    sys.path[:0] = [root, os.path.join(root, "platform")]
    edges = import_graph()
    expected = [c for c in cycles(edges) if any((a, b) in EXPECTED for a in c for b in c)]
    for a, b in EXPECTED:
        edges.get(a, set()).discard(b)
    unexpected = cycles(edges)
    for component in expected:
        print("expected (domain-events change):", " <-> ".join(component))
    for component in unexpected:
        print("CYCLE:", " <-> ".join(component))
        for module in component:
            for imported in sorted(edges[module] & set(component)):
                print(f"    {module} -> {imported}")
    print(f"{len(edges)} modules, {len(unexpected)} import cycle(s)")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
