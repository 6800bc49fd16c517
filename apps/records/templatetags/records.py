"""Template filters for showing record data as an auditor reads it."""

import json
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils.html import format_html

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


# A deployment's verdict -> (icon, tone): text and icon as well as colour.
VERDICT_LOOK = {"ready": ("check", "ok"), "waived": ("check", "info")}


@register.simple_tag
def verdict_badge(deployment: Any) -> str:
    """How readiness stood when the release was deployed, as a badge."""
    name, tone = VERDICT_LOOK.get(deployment.verdict, ("alert", "warn"))
    return format_html(
        '<span class="badge tone-{}"><svg class="icon" aria-hidden="true">'
        '<use href="#i-{}"></use></svg>{}</span>',
        tone,
        name,
        deployment.verdict_label,
    )
