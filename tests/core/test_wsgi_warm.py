"""config/wsgi.py warms the app before gunicorn forks its workers (preload_app):
every view imported, every URL pattern and the reverse lookups compiled, every
project template compiled, without connecting to the database or Redis. A fresh
or recycled worker's first request otherwise imported and compiled all of that
itself (0.4-1.9 s a worker; docs/benchmarks.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from django.db import connections
import config.wsgi as wsgi
from django.template import engines
from django.urls import get_resolver
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "views": sorted(m for m in sys.modules if m.endswith(".views")),
    "templates": sorted(loader.get_template_cache.keys()),
    "reverse_ready": get_resolver()._populated,
    "db_connected": connections["default"].connection is not None,
}))
"""


def _warmed() -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",  # never reached
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DEBUG": "false",
        "SECRET_KEY": "test-only-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    output = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_the_master_imports_views_and_compiles_templates_without_connecting():
    warmed = _warmed()

    assert "apps.readiness.views" in warmed["views"]
    assert "apps.signoffs.views" in warmed["views"]
    assert "apps.releases.api.views" in warmed["views"]
    assert "releases/partials/item_row.html" in warmed["templates"]
    assert "releases/partials/readiness_bar.html" in warmed["templates"]
    project = {
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
    }
    assert project <= set(warmed["templates"])
    assert not any(name.startswith("admin/") for name in warmed["templates"])
    assert warmed["reverse_ready"] is True
    assert warmed["db_connected"] is False
