"""The result every probe kind returns, and the exceptions kinds raise inside."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apps.probes.kinds.redaction import redact_target, scrub

STATUSES = ("pass", "warn", "fail", "error")
_SEVERITY = {"pass": 0, "warn": 1, "fail": 2, "error": 3}


@dataclass(frozen=True)
class Result:
    """What one probe run found: a status, a one-line summary and the evidence."""

    status: str
    summary: str
    observed: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @classmethod
    def error(
        cls,
        summary: str,
        observed: Mapping[str, Any] | None = None,
        duration_ms: float = 0.0,
    ) -> Result:
        """The probe could not run as asked (a bad input, a refused secret, a
        worker that gave up): status `error`, nothing measured unless given."""
        return cls("error", summary, dict(observed or {}), duration_ms)

    def to_dict(self, kind: str | None, target: str | None) -> dict[str, Any]:
        """The JSON shape of the command-line contract, with the target redacted."""
        return {
            "kind": kind,
            "target": redact_target(target),
            "status": self.status,
            "summary": self.summary,
            "observed": self.observed,
            "duration_ms": self.duration_ms,
        }


class ProbeError(Exception):
    """The probe cannot run as asked: a malformed target or a bad option."""


class ProbeFailure(Exception):
    """The target is unreachable, unhealthy or refused; the result is `fail`."""

    def __init__(self, summary: str, observed: Mapping[str, Any] | None = None):
        super().__init__(summary)
        self.summary = summary
        self.observed = dict(observed or {})


class Blocked(ProbeFailure):
    """The egress policy refused the target before any connection was made."""

    def __init__(self, reason: str, observed: Mapping[str, Any] | None = None):
        super().__init__(f"blocked: {reason}", observed)
        self.reason = reason


class DeadlineExceeded(ProbeFailure):
    """The probe's overall deadline passed before it finished."""


def worst(statuses: Iterable[str]) -> str:
    """Return the most severe of the given statuses (pass when there are none)."""
    return max(statuses, key=_SEVERITY.__getitem__, default="pass")


def elapsed_ms(started: float) -> float:
    """Milliseconds since a `time.monotonic()` reading, rounded to 0.1 ms."""
    return round((time.monotonic() - started) * 1000, 1)


def _json_safe(value: Any) -> Any:
    """Make observed values JSON-serialisable: no NaN, tuples become lists."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_json_safe(item) for item in items]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def finish(
    status: str,
    summary: str,
    observed: Mapping[str, Any],
    started: float,
    secrets: Iterable[str] = (),
) -> Result:
    """Build the final Result: redact secrets and stamp the duration."""
    secrets = [secret for secret in secrets if secret]
    clean = scrub(_json_safe(dict(observed)), secrets)
    text = " ".join(scrub(summary, secrets).split())
    return Result(status, text, clean, elapsed_ms(started))
