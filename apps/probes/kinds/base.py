"""What every probe kind shares: its context, and the wrapper that never raises."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from apps.probes.kinds import net
from apps.probes.kinds.contexts import check_ca_file
from apps.probes.kinds.deadline import Deadline
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeError, ProbeFailure, Result, finish

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0


@dataclass
class ProbeContext:
    """The plain values a kind runs with, and the secrets it must never show."""

    deadline: Deadline
    allowed: tuple[net.AllowedNetwork, ...]
    ca_file: str | None = None
    local_credentials: bool = False
    secrets: list[str] = field(default_factory=list)

    def secret(self, value: str | None) -> str | None:
        """Remember a password so it is masked wherever it might be echoed."""
        if value:
            self.secrets.append(value)
        return value


KindFunction = Callable[..., Result]


def probe_kind(
    allowed_options: Iterable[str],
    prepare: Callable[[bool], None] | None = None,
    required: Iterable[str] = (),
) -> Callable[..., KindFunction]:
    """Turn a kind's implementation into its public `run`, which never raises.

    The implementation receives the target, its Options (unknown keys already
    refused) and a ProbeContext. ProbeError becomes `error`, ProbeFailure (and
    Blocked, DeadlineExceeded) becomes `fail`, and any other exception is an
    `error` whose one-line summary names it. Secrets are scrubbed from the
    summary and observed values, including text that came from a driver.

    `prepare(local_credentials)` runs before the deadline starts: it imports
    heavy libraries once per process (the Kubernetes client takes a second or
    two), so that cost is never charged to the target being probed. The
    `required` observed keys are always present, as null when a failed or
    refused probe never measured them.
    """
    allowed_options = frozenset(allowed_options)
    required = tuple(required)

    def unmeasured(observed: Mapping[str, Any]) -> dict[str, Any]:
        return {**dict.fromkeys(required), **observed}

    def decorate(function: Callable[[str, Options, ProbeContext], Result]) -> Any:
        @functools.wraps(function)
        def run(
            target: str,
            options: Mapping[str, str] | None = None,
            *,
            timeout: float = DEFAULT_TIMEOUT,
            allow_private: Iterable[str] = (),
            ca_file: str | None = None,
            local_credentials: bool = False,
        ) -> Result:
            context = ProbeContext(Deadline(DEFAULT_TIMEOUT), ())
            try:
                if prepare is not None:
                    prepare(local_credentials)
            except Exception as error:
                summary = f"cannot load the probe's library: {error}"
                return finish("error", summary, {}, time.monotonic())
            started = time.monotonic()
            try:
                context = ProbeContext(
                    deadline=Deadline(check_timeout(timeout)),
                    allowed=net.parse_networks(allow_private),
                    ca_file=check_ca_file(ca_file),
                    local_credentials=local_credentials,
                )
                if not isinstance(target, str) or not target.strip():
                    raise ProbeError("target is empty")
                result = function(
                    target.strip(), Options(options, allowed_options), context
                )
            except ProbeError as error:
                return finish(
                    "error", str(error), unmeasured({}), started, context.secrets
                )
            except ProbeFailure as failure:
                observed = unmeasured(failure.observed)
                return finish(
                    "fail", failure.summary, observed, started, context.secrets
                )
            except Exception as error:  # A bug, or a driver failing unexpectedly.
                summary = f"probe crashed: {type(error).__name__}: {error}"
                return finish(
                    "error", summary, unmeasured({}), started, context.secrets
                )
            return finish(
                result.status,
                result.summary,
                unmeasured(result.observed),
                started,
                context.secrets,
            )

        run.options = allowed_options  # type: ignore[attr-defined]
        run.prepare = prepare  # type: ignore[attr-defined]
        return run

    return decorate


def check_timeout(timeout: Any) -> float:
    """A timeout must be a positive number of seconds, at most five minutes."""
    try:
        seconds = float(timeout)
    except (TypeError, ValueError):
        raise ProbeError(f"timeout {timeout!r} is not a number") from None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        raise ProbeError(f"timeout must be above 0 and at most {MAX_TIMEOUT:g} s")
    return seconds
