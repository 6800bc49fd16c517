"""Carry the request id from the code that enqueues a task to the worker's logs.

Workers also keep Django's logging configuration (JSON lines) instead of
Celery's own format.

The publisher adds the current request id to the message headers; the worker
binds it (or, for a task enqueued outside any request, the task's own id) to
the request context for the task's duration, so every log line and audit
event of the task names the request that caused it.
"""

import contextlib
from typing import Any

from celery import signals

from apps.core import context

HEADER = "shipshape_request_id"

_tokens: dict[str, Any] = {}


@signals.setup_logging.connect
def _keep_django_logging(**kwargs: Any) -> None:
    """With a receiver here, Celery leaves logging alone: Django's JSON setup stays."""


@signals.before_task_publish.connect
def _add_request_id(headers: dict | None = None, **kwargs: Any) -> None:
    request_id = context.current().request_id
    if headers is not None and request_id and HEADER not in headers:
        headers[HEADER] = request_id


@signals.task_prerun.connect
def _bind_request_id(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    request_id = None
    if task is not None:
        # A worker sees message headers as request attributes; apply() keeps
        # them in request.headers.
        headers = getattr(task.request, "headers", None) or {}
        request_id = getattr(task.request, HEADER, None) or headers.get(HEADER)
    if not request_id and context.current().request_id:
        # An eager task runs inside the request that called it: keep its id.
        return
    _tokens[task_id] = context.bind(
        context.RequestContext(request_id=request_id or task_id)
    )


@signals.task_postrun.connect
def _unbind_request_id(task_id: str = "", **kwargs: Any) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        # A task that finished in another context (a custom pool) has nothing to undo.
        with contextlib.suppress(ValueError):
            context.reset(token)
