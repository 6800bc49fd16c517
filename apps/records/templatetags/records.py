"""Template filters for showing record data as an auditor reads it."""

import json
from datetime import UTC, datetime
from typing import Any

from django import template

register = template.Library()


@register.filter
def compact_json(value: Any) -> str:
    """A dict or list as one line of JSON with sorted keys; '' when empty."""
    if not value:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@register.filter
def when(value: str | None) -> str:
    """A record's ISO timestamp as a person reads it: 2026-03-01 14:05:09 UTC."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value).astimezone(UTC)
    except (TypeError, ValueError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
