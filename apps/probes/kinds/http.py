"""The http probe kind: request a URL and judge its status, latency and body."""

from __future__ import annotations

import json
import math
import re
from http import HTTPStatus
from typing import Any

from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.fetch import Fetched, fetch
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeError, Result

METHODS = ("GET", "HEAD", "OPTIONS", "POST")
DEFAULT_LATENCY_BUDGET_MS = 500.0
_STATUS_ITEM = re.compile(r"^([1-5])(xx|\d\d)$", re.IGNORECASE)


@probe_kind(
    {
        "method",
        "expect_status",
        "body_contains",
        "json_field",
        "json_equals",
        "samples",
        "max_latency_ms",
        "follow_redirects",
        "token",
    },
    required=("status_code", "latency_ms"),
)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Request a URL (GET unless `method` says otherwise) and judge the answer.

    Pass: 2xx or 3xx, or a status in `expect_status` (e.g. `200,204` or `2xx`),
    with `body_contains` found and `json_field` present (equal to `json_equals`
    when given). Fail: any other status, a missing body text or field, a body
    over the 1 MiB cap, a refused or unreachable target. Warn: the latency
    (the p95 when `samples` is above 1) exceeds `max_latency_ms`, default
    500 ms. `token` is sent as a bearer token, and never to another origin
    after a redirect.
    """
    method = options.choice("method", METHODS, "GET")
    expected = parse_status_set(options.string("expect_status"))
    body_contains = options.string("body_contains")
    json_field = options.string("json_field")
    json_equals = options.string("json_equals")
    if json_equals is not None and json_field is None:
        raise ProbeError("option json_equals needs json_field")
    samples = options.integer("samples", 1, minimum=1, maximum=100)
    budget = options.number(
        "max_latency_ms", DEFAULT_LATENCY_BUDGET_MS, minimum=1, maximum=600_000
    )
    follow = options.boolean("follow_redirects", True)
    headers = bearer(options, context)

    responses: list[Fetched] = []
    for _ in range(samples):
        responses.append(
            fetch(
                target,
                deadline=context.deadline,
                allowed=context.allowed,
                ca_file=context.ca_file,
                method=method,
                headers=headers,
                follow_redirects=follow,
            )
        )
    last = responses[-1]
    latencies = [response.latency_ms for response in responses]
    observed: dict[str, Any] = {
        "status_code": last.status_code,
        "latency_ms": last.latency_ms,
        "final_url": last.hops[-1].url,
        "address": last.address,
        "http_version": last.http_version,
        "body_bytes": len(last.body),
        "body_truncated": last.truncated,
        "redirects": last.redirects,
        "max_latency_ms": budget,
    }
    if samples > 1:
        observed.update(
            samples=samples,
            p50_ms=percentile(latencies, 50),
            p95_ms=percentile(latencies, 95),
            latencies_ms=latencies,
        )

    problems = []
    if any(response.truncated for response in responses):
        # An endless or oversized body is a failure, not a pass on its status.
        problems.append("the response body exceeded the 1 MiB cap; reading stopped")
    bad = [r.status_code for r in responses if not status_ok(r.status_code, expected)]
    if bad:
        wanted = options.string("expect_status") or "2xx or 3xx"
        problems.append(f"status {_describe(bad[-1])} (expected {wanted})")
        if samples > 1:
            problems[-1] += f" in {len(bad)} of {samples} requests"
    if body_contains is not None:
        found = body_contains.encode() in last.body
        observed["body_contains_found"] = found
        if not found:
            problems.append(f"body does not contain {body_contains!r}")
    if json_field is not None:
        problem, value = check_json(last, json_field, json_equals)
        observed["json_value"] = value
        if problem:
            problems.append(problem)
    if problems:
        return Result("fail", "; ".join(problems), observed)

    measured = observed["p95_ms"] if samples > 1 else last.latency_ms
    label = (
        f"p95 {measured:g} ms over {samples} requests"
        if samples > 1
        else (f"{measured:g} ms")
    )
    if measured > budget:
        summary = f"{_describe(last.status_code)}, but {label} exceeds {budget:g} ms"
        return Result("warn", summary, observed)
    return Result("pass", f"{_describe(last.status_code)} in {label}", observed)


def bearer(options: Options, context: ProbeContext) -> dict[str, str]:
    """The Authorization header for the `token` option, if one is given."""
    token = context.secret(options.string("token"))
    return {"Authorization": f"Bearer {token}"} if token else {}


def parse_status_set(text: str | None) -> list[tuple[int, int]] | None:
    """Parse `200,204,3xx` into inclusive ranges; None means "2xx or 3xx"."""
    if text is None:
        return None
    ranges = []
    for item in text.split(","):
        item = item.strip()
        match = _STATUS_ITEM.match(item)
        if not match:
            raise ProbeError(f"option expect_status has a bad entry {item!r}")
        if match.group(2).lower() == "xx":
            low = int(match.group(1)) * 100
            ranges.append((low, low + 99))
        else:
            ranges.append((int(item), int(item)))
    return ranges


def status_ok(status: int, expected: list[tuple[int, int]] | None) -> bool:
    """Whether a status passes: within the expected set, else 2xx or 3xx."""
    if expected is None:
        return 200 <= status < 400
    return any(low <= status <= high for low, high in expected)


def check_json(
    response: Fetched, path: str, equals: str | None
) -> tuple[str | None, Any]:
    """Find a dotted field in a JSON body; return a problem (or None) and its value."""
    if response.truncated:
        return "body is over 1 MiB, too large to check as JSON", None
    try:
        value: Any = json.loads(response.body)
    except ValueError:
        return "body is not JSON", None
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return f"JSON field {path} is missing", None
    shown = value if isinstance(value, str) else json.dumps(value)
    if equals is not None and shown != equals:
        return f"JSON field {path} is {shown!r}, expected {equals!r}", value
    if equals is None and value in (None, False):
        return f"JSON field {path} is {shown}", value
    return None, value


def percentile(values: list[float], rank: float) -> float:
    """The nearest-rank percentile of a list of numbers."""
    ordered = sorted(values)
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return ordered[index]


def _describe(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
