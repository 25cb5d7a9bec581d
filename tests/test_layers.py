"""Layers point one way: the engine imports no Flask and no service code; services import no Flask."""
import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


def test_engine_imports_no_flask_and_nothing_above_it():
    for path in (SERVICE / "engine").glob("*.py"):
        for module in imported_modules(path):
            assert not module.startswith("flask"), f"{path.name} imports {module}"
            if module.startswith(".."):
                assert module.startswith("..forms"), f"{path.name} reaches up to {module}"
            if module.startswith("service."):
                assert module.startswith(("service.engine", "service.forms")), f"{path.name} imports {module}"


def test_service_functions_import_no_flask():
    for name in ("applications/commands.py", "applications/batch.py", "rounds/service.py", "versions/deploy.py",
                 "rounds/calendar.py", "audit/chain.py"):
        for module in imported_modules(SERVICE / name):
            assert not module.startswith("flask"), f"{name} imports {module}"
