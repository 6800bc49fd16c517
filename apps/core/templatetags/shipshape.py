"""Template tags for icons, status badges and audit event wording."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Status value -> (icon, tone). Tones map to colours in app.css; the badge always
# carries text and an icon too, so colour is never the only signal.
STATUS_LOOK = {
    "draft": ("pencil", "neutral"),
    "in_progress": ("clock", "info"),
    "ready": ("check", "ok"),
    "deployed": ("rocket", "ok"),
    "rolled_back": ("undo", "bad"),
    "cancelled": ("ban", "neutral"),
    "overridden": ("alert", "warn"),
    "open": ("circle", "neutral"),
    "done": ("check", "ok"),
    "na": ("minus", "neutral"),
    "blocked": ("alert", "bad"),
    "approve": ("check", "ok"),
    "reject": ("x", "bad"),
    "waiting": ("clock", "warn"),
    "queued": ("clock", "info"),
    "running": ("clock", "info"),
    "pass": ("check", "ok"),
    "passed": ("check", "ok"),
    "warn": ("alert", "warn"),
    "warned": ("alert", "warn"),
    "fail": ("x", "bad"),
    "failed": ("x", "bad"),
    "error": ("alert", "bad"),
    "errored": ("alert", "bad"),
    # Webhook and email deliveries.
    "sending": ("clock", "info"),
    "succeeded": ("check", "ok"),
    "sent": ("check", "ok"),
    "gave_up": ("x", "bad"),
    # waivers (and deliveries waiting to be sent)
    "pending": ("clock", "warn"),
    "active": ("check", "ok"),
    "expired": ("clock", "neutral"),
    "declined": ("x", "neutral"),
}

EVENT_WORDS = {
    "release.created": "created the release",
    "release.transitioned": "changed the status",
    "release_item.state_changed": "changed an item",
    "signoff.recorded": "recorded a sign-off",
    "probe_run.started": "started a probe run",
    "probe_run.finished": "probe run finished",
}


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """An icon from the sprite in base.html; decorative unless given a label."""
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}"><use href="#i-{}"></use>'
            "</svg>",
            label,
            name,
        )
    return format_html(
        '<svg class="icon" aria-hidden="true"><use href="#i-{}"></use></svg>',
        name,
    )


@register.simple_tag
def badge(value: str, label: str) -> str:
    """A status badge: colour, icon and text together."""
    name, tone = STATUS_LOOK.get(value, ("circle", "neutral"))
    return format_html(
        '<span class="badge tone-{}"><svg class="icon" aria-hidden="true">'
        '<use href="#i-{}"></use></svg>{}</span>',
        tone,
        name,
        label,
    )


@register.filter
def tone(value: str) -> str:
    return STATUS_LOOK.get(value, ("circle", "neutral"))[1]


@register.filter
def event_words(event) -> str:
    """A short description of an audit event for the release timeline."""
    after = event.after or {}
    before = event.before or {}
    if event.action == "release_item.state_changed":
        state = after.get("state", "")
        verb = {
            "done": "ticked",
            "open": "unticked",
            "na": "set not applicable",
            "blocked": "blocked",
        }.get(state, "changed")
        if not state:
            verb = "edited the note of"
        return f"{verb} “{before.get('text', '')}”"
    if event.action == "release.transitioned":
        status = str(after.get("status", "")).replace("_", " ")
        words = f"moved the release to {status}"
        if after.get("override"):
            words += " (override)"
        return words
    if event.action == "signoff.recorded":
        decision = "approved" if after.get("decision") == "approve" else "rejected"
        role = str(after.get("role", "")).replace("_", " ").replace("-", " ")
        return f"{decision} as {role}"
    return EVENT_WORDS.get(event.action, event.action.replace("_", " "))


@register.filter
def event_reason(event) -> str:
    """The note, reason or comment a person wrote with the change, if any."""
    after = event.after or {}
    return after.get("reason") or after.get("note") or after.get("comment") or ""


@register.simple_tag
def mark(value: str, label: str) -> str:
    """The status's icon alone, named for screen readers."""
    name, tone = STATUS_LOOK.get(value, ("circle", "neutral"))
    return format_html(
        '<svg class="icon tone-{}" role="img" aria-label="{}"><use href="#i-{}"></use>'
        "</svg>",
        tone,
        label,
        name,
    )


@register.filter
def pretty_json(value, limit: int = 4000) -> str:
    """Observed probe details as indented JSON, cut short when very long.

    Only &, < and > are escaped: the text goes inside <pre>, never an attribute,
    and escaping every quote would double the size of a JSON dump.
    """
    text = json.dumps(value, indent=2, sort_keys=True, default=str)
    if len(text) > limit:
        text = text[:limit] + "\n…"
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return mark_safe(escaped)  # noqa: S308 (escaped above for element content)
