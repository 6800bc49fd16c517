"""The prometheus probe kind: a PromQL instant query compared with a threshold."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.fetch import fetch
from apps.probes.kinds.http import bearer
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeError, ProbeFailure, Result

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_NAMED = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


@probe_kind({"query", "threshold", "op", "empty", "token"})
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Run `query` at `<target>/api/v1/query` and compare the value with `threshold`.

    The target is the Prometheus base URL. The query must give one number (a
    scalar, or a vector with exactly one series). Pass: `value op threshold`
    holds (`op` is one of < <= > >= == != or lt le gt ge eq ne; default <).
    Fail: it does not hold, the query errors, or several series come back.
    An empty result fails unless `empty=pass`. `token` is sent as a bearer
    token.
    """
    query = options.string("query")
    if not query:
        raise ProbeError("option query is required (a PromQL expression)")
    threshold = options.number("threshold")
    if threshold is None:
        raise ProbeError("option threshold is required (a number)")
    op_text = options.string("op", "<")
    op_text = _NAMED.get(op_text, op_text)
    if op_text not in OPERATORS:
        raise ProbeError(f"option op must be one of {', '.join(OPERATORS)}")
    empty = options.choice("empty", ("pass", "fail"), "fail")
    base = target.rstrip("/")
    if "?" in base or "#" in base:
        raise ProbeError("target must be the Prometheus base URL, without a query")
    fetched = fetch(
        f"{base}/api/v1/query?{urlencode({'query': query})}",
        deadline=context.deadline,
        allowed=context.allowed,
        ca_file=context.ca_file,
        headers={"Accept": "application/json", **bearer(options, context)},
        follow_redirects=False,
    )
    observed: dict[str, Any] = {
        "query": query,
        "op": op_text,
        "threshold": threshold,
        "status_code": fetched.status_code,
        "latency_ms": fetched.latency_ms,
    }
    try:
        answer = json.loads(fetched.body)
    except ValueError:
        raise ProbeFailure(
            f"Prometheus answered {fetched.status_code} without JSON", observed
        ) from None
    if not isinstance(answer, dict) or answer.get("status") != "success":
        error = answer.get("error") if isinstance(answer, dict) else None
        raise ProbeFailure(f"query failed: {error or fetched.status_code}", observed)
    data = answer.get("data") or {}
    value, labels = extract_value(data)
    observed.update(result_type=data.get("resultType"), labels=labels, value=value)
    if value is None:
        return Result(empty, f"query returned no data ({query})", observed)
    holds = OPERATORS[op_text](value, threshold)
    verdict = "holds" if holds else "does not hold"
    summary = f"{_number(value)} {op_text} {_number(threshold)} {verdict} for {query}"
    return Result("pass" if holds else "fail", summary, observed)


def extract_value(data: dict) -> tuple[float | None, dict | None]:
    """The single number of an instant-query result, with its series labels."""
    result_type, result = data.get("resultType"), data.get("result")
    if result_type == "scalar" and isinstance(result, list) and len(result) == 2:
        return _parse(result[1]), None
    if result_type == "vector" and isinstance(result, list):
        if not result:
            return None, None
        if len(result) > 1:
            raise ProbeFailure(
                f"query returned {len(result)} series; aggregate it to one "
                "(for example with sum() or max())"
            )
        series = result[0]
        return _parse(series.get("value", [None, None])[1]), series.get("metric")
    raise ProbeFailure(f"query result type {result_type!r} is not a scalar or vector")


def _parse(text: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ProbeFailure(f"query value {text!r} is not a number") from None
    if math.isnan(value):
        raise ProbeFailure("query value is NaN")
    return value


def _number(value: float) -> str:
    return f"{value:g}"
