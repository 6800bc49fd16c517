"""The redis probe kind: PING, server version, memory and the keyspace hit rate."""

from __future__ import annotations

import time
from typing import Any

from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.deadline import SocketGuard
from apps.probes.kinds.options import Options
from apps.probes.kinds.resp import RespError, connect, parse_redis_url
from apps.probes.kinds.result import ProbeFailure, Result


@probe_kind(
    {"min_hit_rate"},
    required=("latency_ms",),
)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """PING a Redis server and read INFO; only redis:// and rediss:// URLs.

    Pass: PONG. Fail: refused, NOAUTH or wrong password, or a keyspace hit
    rate below `min_hit_rate` (a fraction, e.g. 0.8). Warn: a threshold is set
    but the server has served no lookups yet, so the rate is unknown.
    """
    min_hit_rate = options.number("min_hit_rate", None, minimum=0, maximum=1)
    redis_target = parse_redis_url(target, context)
    with SocketGuard(context.deadline) as guard:
        connection = connect(redis_target, context, guard)
        try:
            started = time.monotonic()
            pong = connection.call("PING")
            latency_ms = round((time.monotonic() - started) * 1000, 2)
            if isinstance(pong, RespError):
                raise ProbeFailure(f"PING refused by {connection.where}: {pong}")
            info = connection.call("INFO")
        finally:
            connection.close()
    if isinstance(info, RespError) or not isinstance(info, str):
        raise ProbeFailure(f"INFO refused by {connection.where}: {info}")
    fields = parse_info(info)
    hits = int(fields.get("keyspace_hits", 0))
    misses = int(fields.get("keyspace_misses", 0))
    hit_rate = round(hits / (hits + misses), 4) if hits + misses else None
    observed: dict[str, Any] = {
        "latency_ms": latency_ms,
        "reply": pong,
        "version": fields.get("redis_version"),
        "used_memory": _int_or_none(fields.get("used_memory")),
        "used_memory_human": fields.get("used_memory_human"),
        "keyspace_hits": hits,
        "keyspace_misses": misses,
        "hit_rate": hit_rate,
        "min_hit_rate": min_hit_rate,
        "role": fields.get("role"),
    }
    summary = (
        f"{pong} in {latency_ms:g} ms from Redis {observed['version']}, "
        f"{observed['used_memory_human']} used"
    )
    if min_hit_rate is not None:
        if hit_rate is None:
            return Result(
                "warn", f"{summary}; hit rate unknown (no lookups yet)", observed
            )
        if hit_rate < min_hit_rate:
            return Result(
                "fail",
                f"{summary}; hit rate {hit_rate:.1%} is below {min_hit_rate:.1%}",
                observed,
            )
    rate = f"; hit rate {hit_rate:.1%}" if hit_rate is not None else ""
    return Result("pass", f"{summary}{rate}", observed)


def parse_info(text: str) -> dict[str, str]:
    """Parse an INFO reply (`key:value` lines, `#` section headers) into a dict."""
    fields = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    return fields


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
