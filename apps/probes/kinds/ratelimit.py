"""The ratelimit probe kind: a bounded burst of requests that should meet a 429."""

from __future__ import annotations

from collections import Counter
from typing import Any

from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.fetch import fetch
from apps.probes.kinds.http import bearer
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import Result

MAX_BURST = 200


@probe_kind({"requests", "method", "token"})
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Send up to `requests` (default 30, at most 200) requests, stopping at a 429.

    Pass: a 429 Too Many Requests appeared within the burst. Fail: none did,
    or the target could not be reached. The burst is sequential, never more
    than one request in flight, and ends early at the first 429 or when the
    deadline passes.
    """
    limit = options.integer("requests", 30, minimum=1, maximum=MAX_BURST)
    method = options.choice("method", ("GET", "HEAD"), "GET")
    headers = bearer(options, context)
    statuses: Counter[int] = Counter()
    first_429 = None
    retry_after = None
    sent = 0
    for index in range(1, limit + 1):
        fetched = fetch(
            target,
            deadline=context.deadline,
            allowed=context.allowed,
            ca_file=context.ca_file,
            method=method,
            headers=headers,
            follow_redirects=False,
            body_cap=64 * 1024,
        )
        sent = index
        statuses[fetched.status_code] += 1
        if fetched.status_code == 429:
            first_429 = index
            retry_after = fetched.headers.get("retry-after")
            break
    observed: dict[str, Any] = {
        "requests_sent": sent,
        "limit": limit,
        "first_429_at": first_429,
        "retry_after": retry_after,
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
    }
    if first_429 is None:
        summary = f"no 429 after {sent} requests (statuses {observed['statuses']})"
        return Result("fail", summary, observed)
    return Result(
        "pass", f"429 after {first_429} of at most {limit} requests", observed
    )
