"""Dependencies point one way: engine imports neither Flask nor SQLAlchemy nor storage/webui."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = {"flask", "sqlalchemy", "storage", "webui", "werkzeug", "alembic"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_engine_is_pure():
    offenders = {p.name: imported_roots(p) & FORBIDDEN for p in ENGINE.glob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
