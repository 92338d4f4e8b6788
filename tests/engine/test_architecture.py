"""Dependencies point one way: `webui`, `cli` → `bootstrap` → `engine` ← `storage`.

engine imports neither Flask nor SQLAlchemy nor storage/webui; storage never imports the web
layer; webui reaches SpiffWorkflow only through the engine. Every package is walked with its
subpackages, and imports inside functions count as much as those at the top.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level modules it must never import
FORBIDDEN = {
    "engine": {"flask", "sqlalchemy", "storage", "webui", "werkzeug", "alembic", "cli"},
    "storage": {"webui", "flask", "werkzeug", "cli"},
    "webui": {"SpiffWorkflow", "cli"},
    "cli": {"SpiffWorkflow", "flask", "sqlalchemy"},
    "bootstrap": {"SpiffWorkflow", "flask", "webui", "cli"},
}

# Exceptions that stay beside the code they belong to: private control flow and the sandbox's
# internal signals, which SpiffWorkflow or the sandbox turn into `ScriptFailed` before anyone
# sees them. A domain error someone may catch belongs in engine/errors.py.
INTERNAL_EXCEPTIONS = {
    ("spiff/execution.py", "_Reroot"),
    ("sandbox/pool.py", "_Stale"),
    ("sandbox/pool.py", "SandboxUnavailable"),
    ("sandbox/limits.py", "LimitExceeded"),
    ("sandbox/limits.py", "ScriptLimitExceeded"),
    ("spiff/script_environment.py", "ScriptError"),
    ("definitions/form_yaml.py", "YamlRefused"),
}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def offenders(package: str) -> dict[str, set[str]]:
    found = {}
    for path in modules(package):
        bad = imported_roots(path) & FORBIDDEN[package]
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_walk_reaches_subpackages():
    """webui/views is a subpackage: a flat glob would not see it."""
    assert ROOT / "webui" / "views" / "owner.py" in modules("webui")


def test_engine_is_pure():
    assert offenders("engine") == {}


def test_storage_does_not_import_the_web_layer():
    assert offenders("storage") == {}


def test_webui_reaches_spiffworkflow_only_through_the_engine():
    assert offenders("webui") == {}


def test_the_command_line_is_a_thin_edge():
    """The CLI reaches storage and SpiffWorkflow only through bootstrap and the engine facade."""
    assert offenders("cli") == {}


def test_bootstrap_imports_no_edge():
    assert offenders("bootstrap") == {}


def test_only_the_adapter_imports_spiffworkflow():
    """engine/spiff/ is SpiffWorkflow's adapter: the rest of the engine asks it, never the library."""
    outside = {str(path.relative_to(ROOT)) for path in modules("engine")
               if "SpiffWorkflow" in imported_roots(path) and path.parent != ROOT / "engine" / "spiff"}
    assert outside == set()


def test_the_rule_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from SpiffWorkflow.bpmn import BpmnWorkflow\n", encoding="utf-8")
    assert "SpiffWorkflow" in imported_roots(sample)


def exception_classes_outside_errors() -> set[tuple[str, str]]:
    """Every exception class defined in an engine module other than engine/errors.py."""
    found = set()
    for info in pkgutil.walk_packages([str(ROOT / "engine")], prefix="engine."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, BaseException)
                    and value.__module__ == info.name and info.name != "engine.errors"):
                found.add((info.name.removeprefix("engine.").replace(".", "/") + ".py", name))
    return found


def test_domain_errors_live_in_errors_py():
    assert exception_classes_outside_errors() - INTERNAL_EXCEPTIONS == set()
