"""The probe kinds are plain Python: importing them never loads Django."""

from __future__ import annotations

from tests.plain_python import run_python

SCRIPT = """
import pkgutil, sys
import apps.probes.kinds as kinds
for module in pkgutil.iter_modules(kinds.__path__):
    __import__(f"apps.probes.kinds.{module.name}")
result = kinds.run_kind("http", "file:///etc/passwd", {})
assert result.status == "error", result
loaded = sorted(name for name in sys.modules if name.split(".")[0] == "django")
print("django" in sys.modules, loaded)
"""


def test_importing_every_kind_module_does_not_load_django() -> None:
    completed = run_python(SCRIPT)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "False []"
