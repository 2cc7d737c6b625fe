"""deploy/new_service.py makes a service that runs on the kit as generated: lint-clean, its app builds,
its OpenAPI is valid. (workshop, parts and claims were rebuilt from it.)"""

from __future__ import annotations

import importlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import shared.registry as registry
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

import new_service  # noqa: E402


def test_a_generated_service_lints_builds_and_documents_itself(tmp_path, monkeypatch):
    target = tmp_path / "services" / "loans"
    files = new_service.render("loans", "Courtesy cars lent while a car is in the workshop.", target)
    assert (target / "src/loans/main.py") in files and any("initial_schema" in f.name for f in files)
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), str(target)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout

    known = registry.service
    loans = replace(known("workshop"), name="loans", http_port=8099, database="loans", produces=(),
                    consumer_groups=(), reads=())
    monkeypatch.setattr(registry, "service", lambda name: loans if name == "loans" else known(name))
    monkeypatch.syspath_prepend(str(target / "src"))
    app = importlib.import_module("loans.main").create_app()
    assert app.state.settings.http_port == 8099
    # a new service keeps the organisation replica (the stores and revocations) from its first day
    assert [c.name for c in app.state.runtime.consumers] == ["loans.organisation"]
    validate(app.openapi())
    assert importlib.import_module("loans.main").MIGRATIONS == target / "migrations"


def test_rebuilding_an_existing_service_leaves_its_migrations_as_they_shipped(tmp_path):
    target = tmp_path / "workshop"
    (target / "migrations/versions").mkdir(parents=True)
    shipped = "revision: str = 'abc123'\ndown_revision: str | None = None\n"
    (target / "migrations/versions/abc123_initial_schema.py").write_text(shipped)
    new_service.render("workshop", "x", target, force=True)
    assert [p.name for p in (target / "migrations/versions").iterdir()] == ["abc123_initial_schema.py"]
    assert (target / "migrations/versions/abc123_initial_schema.py").read_text() == shipped
