"""Structured logs: one JSON object a line, each carrying the current request id."""

import json
import logging
from datetime import UTC, datetime

from apps.core import context

# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (empty outside a request or task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # Django logs 4xx and 5xx responses after the middleware has
            # unbound the context, but passes the request along.
            request = getattr(record, "request", None)
            record.request_id = (
                getattr(request, "request_id", "") or context.current().request_id
            )
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON: time, level, logger, message, ids.

    Values given with `extra=` are kept as fields; anything that is not JSON
    becomes its `str()`, so a log call never fails because of what it carries.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "")
            or getattr(getattr(record, "request", None), "request_id", "")
            or context.current().request_id,
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            entry["method"], entry["path"] = request.method, request.path
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and key != "request":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
