"""Probe kinds: plain Python checks of a release's real systems, with no Django.

`run_kind()` is the one entry point for callers (the `probe` command, the
Celery task's service). It never raises: an unknown kind or a bad option is an
`error` Result, an unhealthy or refused target is `fail`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping

from apps.probes.kinds import (
    dns,
    headers,
    http,
    k8s,
    postgres,
    prometheus,
    queue,
    ratelimit,
    redis,
    tls,
)
from apps.probes.kinds.base import DEFAULT_TIMEOUT, KindFunction, check_timeout
from apps.probes.kinds.result import ProbeError, Result, elapsed_ms

KINDS: dict[str, KindFunction] = {
    "http": http.run,
    "tls": tls.run,
    "headers": headers.run,
    "postgres": postgres.run,
    "redis": redis.run,
    "queue": queue.run,
    "k8s": k8s.run,
    "prometheus": prometheus.run,
    "ratelimit": ratelimit.run,
    "dns": dns.run,
}

# How long past its deadline a kind may take to return before run_kind stops
# waiting for it. Kinds bound their own work; this only covers a driver that
# ignores its timeouts (libpq, the Kubernetes client's urllib3).
BACKSTOP_GRACE_S = 0.5

__all__ = ["KINDS", "ProbeError", "Result", "run_kind"]


def run_kind(
    kind: str,
    target: str,
    options: Mapping[str, str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: Iterable[str] = (),
    ca_file: str | None = None,
    local_credentials: bool = False,
) -> Result:
    """Run one probe and return its Result; never raises.

    `allow_private` lists CIDRs the egress policy lets probes reach in addition
    to public addresses (loopback in development, usually nothing in
    production). `local_credentials` lets the k8s kind use the caller's own
    kubeconfig; only the command line sets it, never a stored configuration.
    """
    started = time.monotonic()
    function = KINDS.get(kind) if isinstance(kind, str) else None
    if function is None:
        known = ", ".join(sorted(KINDS))
        summary = f"unknown kind {kind!r} (known: {known})"
        return Result.error(summary, duration_ms=elapsed_ms(started))
    try:
        seconds = check_timeout(timeout)
    except ProbeError as error:
        return Result.error(str(error), duration_ms=elapsed_ms(started))
    prepare = getattr(function, "prepare", None)
    if prepare is not None:
        # Library imports happen here, before the backstop clock starts.
        try:
            prepare(local_credentials)
        except Exception as error:
            summary = f"cannot load the {kind} probe's library: {error}"
            return Result.error(summary, duration_ms=elapsed_ms(started))

    outcome: list[Result] = []

    def work() -> None:
        outcome.append(
            function(
                target,
                options,
                timeout=seconds,
                allow_private=tuple(allow_private),
                ca_file=ca_file,
                local_credentials=local_credentials,
            )
        )

    # The kind runs in a daemon thread so that a driver stuck past the deadline
    # cannot hold the caller; the thread is abandoned and ends when its socket
    # timeouts fire.
    worker = threading.Thread(target=work, name=f"probe-{kind}", daemon=True)
    worker.start()
    worker.join(seconds + BACKSTOP_GRACE_S)
    if outcome:
        return outcome[0]
    return Result(
        "fail",
        f"deadline of {seconds:g} s exceeded (no answer from the {kind} probe)",
        {"deadline_s": seconds},
        elapsed_ms(started),
    )
