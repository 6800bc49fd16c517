"""The readiness judge is plain Python: it imports and judges with Django blocked."""

from __future__ import annotations

from tests.plain_python import run_python

# Django is installed in this interpreter, so it is blocked rather than absent:
# any attempt to import it fails, and the judge must still import and judge.
SCRIPT = """
import sys
from datetime import UTC, datetime


class NoDjango:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("django", "rest_framework", "celery"):
            raise ImportError(f"{name} is blocked")
        return None


sys.meta_path.insert(0, NoDjango())
from apps.policy.facts import PolicyFacts, ProbeFact
from apps.readiness.judge import ReadinessInputs, judge

inputs = ReadinessInputs(
    release_id=1, open=True, deployed_at=None, roles=(), items=(), evidence=(),
    decisions={}, policy=PolicyFacts(probes=(ProbeFact(1, "web"),)),
    evidence_max_age=3600.0,
)
verdict = judge(inputs, datetime(2026, 3, 2, tzinfo=UTC))
print(verdict.blockers[0].text)
loaded = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("django", "rest_framework", "celery", "config")
)
print(loaded)
"""


def test_the_judge_imports_and_judges_with_django_blocked() -> None:
    completed = run_python(SCRIPT)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == ["web: no evidence yet", "[]"]
