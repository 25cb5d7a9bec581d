"""Folder rules: the engine stands alone, the two edges (api, web) import neither each other nor are
imported from below, production code never imports the commands (demo seed, benchmark, CLI), and the
feature folders import no Flask."""
import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parent.parent / "service"
FEATURES = ("accounts", "applications", "audit", "notify", "organisations", "register", "rounds", "versions")


def modules_imported(path: Path):
    """Absolute names of what ``path`` imports (relative imports resolved)."""
    package = ["service", *path.relative_to(SERVICE).parent.parts]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                yield ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.module


def files_in(*folders):
    for folder in folders:
        yield from (SERVICE / folder).rglob("*.py")


def imports_of(folder):
    return [(path.relative_to(SERVICE).as_posix(), module)
            for path in files_in(folder) for module in modules_imported(path)]


def test_the_engine_imports_no_flask_and_no_service_code_but_forms():
    for where, module in imports_of("engine"):
        assert not module.startswith("flask"), f"{where} imports {module}"
        if module.startswith("service."):
            assert module.startswith(("service.engine", "service.forms")), f"{where} imports {module}"


def test_forms_import_no_flask():
    for where, module in imports_of("forms"):
        assert not module.startswith("flask"), f"{where} imports {module}"


@pytest.mark.parametrize("edge, other", [("api", "service.web"), ("web", "service.api")])
def test_the_edges_import_neither_each_other(edge, other):
    for where, module in imports_of(edge):
        assert not module.startswith(other), f"{where} imports {module}"


def test_nothing_below_the_edges_imports_them():
    below = [p.name for p in SERVICE.iterdir() if p.is_dir() and p.name not in ("api", "web", "migrations")]
    for folder in below:
        for where, module in imports_of(folder):
            if folder == "commands" and module in ("service.api", "service.web"):
                continue  # the CLI may start the app
            assert not module.startswith(("service.api", "service.web")), f"{where} imports {module}"


def test_production_code_never_imports_the_commands():
    production = [p.name for p in SERVICE.iterdir() if p.is_dir() and p.name not in ("commands", "migrations")]
    for folder in production:
        for where, module in imports_of(folder):
            assert not module.startswith("service.commands"), f"{where} imports {module}"


@pytest.mark.parametrize("feature", FEATURES)
def test_feature_folders_import_no_flask(feature):
    """Services run under a request, a worker or a test alike; only accounts' user record is Flask-Login's."""
    for where, module in imports_of(feature):
        if where == "accounts/models.py" and module == "flask_login":
            continue
        assert not module.startswith("flask"), f"{where} imports {module}"
