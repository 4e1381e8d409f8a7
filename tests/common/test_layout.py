"""The layout rules every app follows (docs/conventions.md), checked on the source so a new
app that copies the wrong pattern fails here rather than in review."""

import ast
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2] / "apps"


def _modules():
    for path in sorted(APPS.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(APPS.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(path: Path) -> set[str]:
    """Modules imported anywhere in the file (top level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = dict(_modules())


def test_no_services_module_imports_a_tasks_module():
    # Services queue work by task name (apps.common.tasks.enqueue_on_commit): a services
    # module that imports tasks makes the two import each other.
    offenders = [
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        if ".services" in name
        for imported in _imports(path)
        if imported.split(".")[-1] == "tasks" or ".tasks." in imported + "."
        if imported.startswith("apps.")
    ]
    assert offenders == []


@pytest.mark.parametrize("app", sorted({name.split(".")[1] for name in MODULES if "." in name}))
def test_modules_of_one_app_do_not_import_each_other_in_a_cycle(app):
    prefix = f"apps.{app}"
    graph = {
        name: {
            target
            for imported in _imports(path)
            for target in (imported, imported.rsplit(".", 1)[0])
            if target in MODULES
            and target.startswith(prefix)
            and target != name
            # A package's __init__ re-exporting its submodules is not a cycle with them.
            and not (name == target.rsplit(".", 1)[0] or target == name.rsplit(".", 1)[0])
        }
        for name, path in MODULES.items()
        if name == prefix or name.startswith(prefix + ".")
    }
    cycles = []
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []
