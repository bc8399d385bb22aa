"""The ledger, the inbox and the complaints read as their areas: thin views, no reaching into
another area's views or private names, no import of the scorecards (they listen to the ledger's
signal)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("ledger", "inbox", "complaints")
MODULES = [p for area in AREAS for p in sorted((ROOT / "tracker" / area).glob("*.py"))]
VIEWS = [ROOT / "tracker" / area / "views.py" for area in AREAS]


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from module import name` and `import module` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


def _area(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "tracker" else None


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.parent.name)
def test_every_view_is_at_most_twenty_lines(path):
    long = [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef)
        and any("bp." in ast.unparse(d) for d in node.decorator_list)
        and node.end_lineno - node.lineno + 1 > 20
    ]
    assert long == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_module_takes_another_areas_views_or_private_names(path):
    own = path.parent.name
    bad = [
        (module, name)
        for module, name in _imports(path)
        if _area(module) not in (None, own)
        and (module.endswith(".views") or name.startswith("_") or name == "views")
    ]
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_ledger_and_the_inbox_never_import_the_scorecards(path):
    assert [m for m, _name in _imports(path) if m.startswith("tracker.scorecards")] == []
