"""The queue probe kind: the depth of Celery queues kept as Redis lists."""

from __future__ import annotations

import re
from typing import Any

from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.deadline import SocketGuard
from apps.probes.kinds.options import Options
from apps.probes.kinds.resp import RespError, connect, parse_redis_url
from apps.probes.kinds.result import ProbeError, ProbeFailure, Result

# Queue names become Redis keys in an LLEN command, so only plain names pass.
QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")
MAX_QUEUES = 20


@probe_kind(
    {"queue", "warn_depth", "fail_depth"},
    required=("depth",),
)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """LLEN each queue in `queue` (comma-separated, default `celery`) and add up.

    Fail: the total depth is above `fail_depth`, a queue key is not a list,
    or Redis is unreachable or refuses the login. Warn: above `warn_depth`.
    Names must be letters, digits and `_ . : -`, so nothing but a plain
    LLEN of a plain key is ever sent.
    """
    names = options.items("queue") or ["celery"]
    if len(names) > MAX_QUEUES:
        raise ProbeError(f"at most {MAX_QUEUES} queues per probe")
    for name in names:
        if not QUEUE_NAME.match(name):
            raise ProbeError(f"queue name {name!r} is not a plain name")
    warn_depth = options.integer("warn_depth", None, minimum=0)
    fail_depth = options.integer("fail_depth", None, minimum=0)
    if warn_depth is not None and fail_depth is not None and warn_depth > fail_depth:
        raise ProbeError("warn_depth must not be above fail_depth")
    redis_target = parse_redis_url(target, context)
    with SocketGuard(context.deadline) as guard:
        connection = connect(redis_target, context, guard)
        try:
            replies = connection.pipeline([("LLEN", name) for name in names])
        finally:
            connection.close()
    depths: dict[str, int] = {}
    for name, reply in zip(names, replies, strict=True):
        if isinstance(reply, RespError):
            raise ProbeFailure(f"LLEN {name} refused: {reply}")
        depths[name] = int(reply)
    depth = sum(depths.values())
    observed: dict[str, Any] = {
        "depth": depth,
        "queues": depths,
        "warn_depth": warn_depth,
        "fail_depth": fail_depth,
    }
    shown = ", ".join(f"{name} {count}" for name, count in depths.items())
    if fail_depth is not None and depth > fail_depth:
        return Result("fail", f"depth {depth} above {fail_depth} ({shown})", observed)
    if warn_depth is not None and depth > warn_depth:
        return Result("warn", f"depth {depth} above {warn_depth} ({shown})", observed)
    return Result("pass", f"depth {depth} ({shown})", observed)
