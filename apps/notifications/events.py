"""Every event Shipshape announces: when, who hears it, and its payload's fields.

The one schema per event. The payload is the `data` of a webhook body and the
`data` stored with an emailed notification: one shape per event, whichever way
it goes. announcements.announce() builds it; tests/notifications/test_events.py
checks every payload sent against EVENTS, and `manage.py events_doc` writes
docs/events.md from it. Plain Python, no Django.
"""

from dataclasses import dataclass, field

TEAM_WEBHOOKS = "the team's webhooks subscribed to it"
EVERY_TEAMS_WEBHOOKS = "every team's webhooks subscribed to it"
NO_WEBHOOKS = "none: it has no team (a webhook may subscribe, nothing is sent)"
TEAM_MEMBERS = "the team's active members, as their email preferences say"


@dataclass(frozen=True)
class Field:
    """One payload field: its JSON type, whether it may be null, what it holds."""

    name: str
    type: str  # "string", "integer", "object" or "array"
    text: str
    nullable: bool = False
    fields: tuple["Field", ...] = ()  # of an object, or of each array element


@dataclass(frozen=True)
class Event:
    """One event: its name, a label for choice lists, when it is sent and to whom."""

    name: str
    label: str
    when: str
    webhooks: str
    email: str = ""  # who is emailed; empty when nobody is
    fields: tuple[Field, ...] = field(default=())


RELEASE = Field(
    "release",
    "object",
    "the release the event is about",
    fields=(
        Field("id", "integer", "its id"),
        Field("service", "string", "the service's name"),
        Field("environment", "string", "the environment's name"),
        Field("version", "string", "the version"),
        Field("status", "string", "its status after the event"),
        Field("path", "string", "its page, relative"),
        Field("url", "string", "its page, absolute under SITE_URL"),
    ),
)
BLOCKER = (
    Field("type", "string", "item, signoff, probe, evidence or freeze"),
    Field("id", "string", "the blocking object's id"),
    Field("text", "string", "what blocks"),
)
OVERRIDE = Field(
    "override",
    "object",
    "the override the release took to get here, or null",
    nullable=True,
    fields=(
        Field("status", "string", "the status it let the release enter"),
        Field("by", "string", "the lead's username"),
        Field("at", "string", "when, ISO 8601"),
        Field("reason", "string", "the lead's written reason"),
        Field("blockers", "array", "the blockers it overrode", fields=BLOCKER),
    ),
)
TRANSITION = (
    RELEASE,
    Field("reason", "string", "the reason given with the transition, or empty"),
    Field("by", "string", "who moved the release (username)"),
    OVERRIDE,
)
URL = Field("url", "string", "the page the event is about, absolute under SITE_URL")
SUBJECT = Field("subject", "string", "the email's subject line")
CHECK = (
    Field("environment", "integer", "the environment's id"),
    Field("environment_name", "string", "`service / environment`"),
    Field("probe", "string", "the probe's name"),
    Field("kind", "string", "the probe's kind (http, tls, …)"),
    Field("target", "string", "what it checks, passwords shown as ***"),
    Field("status", "string", "the check's status: pass, warn, fail or error"),
    Field("summary", "string", "what the check found"),
    Field("check", "integer", "the scheduled check's id"),
)
WINDOW = (
    RELEASE,
    Field("window", "integer", "the verification window's id"),
    Field("summary", "string", "what the window measured"),
)

EVENTS: dict[str, Event] = {
    event.name: event
    for event in (
        Event(
            "release.ready",
            "A release became ready",
            "a release enters `ready` on a ready verdict (never after an override)",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS,
            TRANSITION,
        ),
        Event(
            "release.overridden",
            "A lead moved a release on against its blockers",
            "a lead moves a release to `ready` or `deployed` against its blockers",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS,
            (RELEASE, *OVERRIDE.fields),
        ),
        Event(
            "release.blocked",
            "A checklist item was blocked",
            "a checklist item of a release is blocked",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS,
            (
                RELEASE,
                Field("item", "integer", "the blocked item's id"),
                Field("text", "string", "the item's text"),
            ),
        ),
        Event(
            "release.deployed",
            "A release was deployed",
            "a release is deployed (with `override` set when it took one)",
            TEAM_WEBHOOKS,
            fields=TRANSITION,
        ),
        Event(
            "release.rolled_back",
            "A release was rolled back",
            "a release is rolled back",
            TEAM_WEBHOOKS,
            fields=TRANSITION,
        ),
        Event(
            "signoff.recorded",
            "A sign-off was recorded",
            "someone approves or rejects a sign-off role of a release",
            TEAM_WEBHOOKS,
            fields=(
                RELEASE,
                Field("role", "string", "the role's key"),
                Field("decision", "string", "approve or reject"),
                Field("comment", "string", "the comment, or empty"),
                Field("by", "string", "who signed (username)"),
            ),
        ),
        Event(
            "probe_run.finished",
            "A probe run finished",
            "a release's probe run finishes",
            TEAM_WEBHOOKS,
            fields=(
                RELEASE,
                Field("run", "integer", "the probe run's id"),
                Field("status", "string", "the run's status"),
                *(
                    Field(count, "integer", f"how many probes {count}")
                    for count in ("passed", "warned", "failed", "errored")
                ),
            ),
        ),
        Event(
            "probe.failed",
            "A probe failed",
            "a probe of a release's probe run fails or errs (once per failing "
            "probe), or a scheduled check of an environment starts failing. One "
            "shape for both: the fields of the other source are null",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS + ", for a scheduled check only",
            (
                Field(
                    "release",
                    "object",
                    "the release, for a probe run; null for a scheduled check",
                    nullable=True,
                    fields=RELEASE.fields,
                ),
                Field("run", "integer", "the probe run's id, or null", nullable=True),
                Field(
                    "result", "integer", "the probe result's id, or null", nullable=True
                ),
                Field(
                    "check",
                    "integer",
                    "the scheduled check's id, or null",
                    nullable=True,
                ),
                Field("environment", "integer", "the environment's id"),
                Field("environment_name", "string", "`service / environment`"),
                Field("name", "string", "the probe's name"),
                Field("probe", "string", "the probe's name (the same as `name`)"),
                Field("kind", "string", "the probe's kind (http, tls, …)"),
                Field("target", "string", "what it checks, passwords shown as ***"),
                Field("status", "string", "fail or error"),
                Field("summary", "string", "what the probe found"),
                Field(
                    "url",
                    "string",
                    "the release's page for a run, the environment's monitoring "
                    "page for a check; absolute under SITE_URL",
                ),
                Field("subject", "string", "`FAILING: <probe> on <environment>`"),
            ),
        ),
        Event(
            "probe.recovered",
            "A failing scheduled probe passes again",
            "a scheduled check of an environment passes again after failing",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS,
            (*CHECK, URL, SUBJECT),
        ),
        Event(
            "certificate.expiring",
            "A certificate crossed 30, 14 or 7 days left",
            "a scheduled TLS check finds a certificate crossing 30, 14 or 7 days left",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS,
            (
                *CHECK,
                Field("days_remaining", "integer", "days until it expires"),
                Field("mark", "integer", "the mark crossed: 30, 14 or 7"),
                URL,
                SUBJECT,
            ),
        ),
        Event(
            "signoff.requested",
            "A lead asked someone for a sign-off",
            "a lead asks a named member for a role's sign-off",
            TEAM_WEBHOOKS,
            "the person asked",
            (
                Field("release", "integer", "the release's id"),
                Field("role", "string", "the role's key"),
                Field("person", "string", "the person asked (username)"),
                URL,
                SUBJECT,
            ),
        ),
        Event(
            "maintenance.overdue",
            "A maintenance checklist is overdue",
            "a maintenance checklist passes its due time with open checks (once)",
            TEAM_WEBHOOKS,
            TEAM_MEMBERS,
            (
                Field("environment", "integer", "the environment's id"),
                Field("checklist", "integer", "the checklist's id"),
                Field("cadence", "string", "daily, weekly or monthly"),
                Field("due_at", "string", "when it was due, ISO 8601"),
                URL,
                SUBJECT,
            ),
        ),
        Event(
            "audit.chain_failed",
            "Audit chain verification failed",
            "a verification of the audit chain fails (once per failed verification)",
            NO_WEBHOOKS,
            "superusers and team admins",
            (
                Field("verification", "integer", "the failed verification's id"),
                Field(
                    "broken_seq",
                    "integer",
                    "the first broken event's seq",
                    nullable=True,
                ),
                SUBJECT,
            ),
        ),
        Event(
            "audit.head_published",
            "The daily published head of the audit chain",
            "the head of the audit chain is published (daily)",
            EVERY_TEAMS_WEBHOOKS,
            fields=(
                Field("seq", "integer", "the latest event's seq (0 when empty)"),
                Field("hash", "string", "its hash"),
                Field("event_time", "string", "its time, or null", nullable=True),
            ),
        ),
        Event(
            "verification.failed",
            "A post-deploy verification window failed",
            "a post-deploy verification window fails, or a lead settles it as failed",
            TEAM_WEBHOOKS,
            fields=(
                *WINDOW,
                Field(
                    "rollback_plan",
                    "array",
                    "the release's rollback steps, in order",
                    fields=(
                        Field("text", "string", "the step"),
                        Field("command", "string", "its command, or empty"),
                    ),
                ),
                Field("rollback_path", "string", "the rollback phase, relative"),
                Field("rollback_url", "string", "the rollback phase, absolute"),
            ),
        ),
        Event(
            "verification.inconclusive",
            "A verification window needs a person to decide",
            "a post-deploy verification window cannot decide on its own",
            TEAM_WEBHOOKS,
            fields=WINDOW,
        ),
    )
}
# The order people see on their email preferences page.
EMAIL_EVENTS = (
    "probe.failed",
    "probe.recovered",
    "certificate.expiring",
    "signoff.requested",
    "release.ready",
    "release.overridden",
    "release.blocked",
    "maintenance.overdue",
    "audit.chain_failed",
)
JSON_TYPES = {
    "string": str,
    "integer": int,
    "object": dict,
    "array": list,
}


def problems(event: str, data: object) -> list[str]:
    """What in a decoded payload does not match the event's schema; [] when all does.

    Every field must be present with its type (or null where it may be), and no
    other field may be.
    """
    if event not in EVENTS:
        return [f"{event!r} has no schema"]
    return _check(event, EVENTS[event].fields, data)


def _check(where: str, fields: tuple[Field, ...], data: object) -> list[str]:
    if not isinstance(data, dict):
        return [f"{where}: expected an object, got {type(data).__name__}"]
    found = []
    names = [each.name for each in fields]
    for extra in sorted(set(data) - set(names)):
        found.append(f"{where}.{extra}: not in the schema")
    for each in fields:
        path = f"{where}.{each.name}"
        if each.name not in data:
            found.append(f"{path}: missing")
            continue
        value = data[each.name]
        if value is None:
            if not each.nullable:
                found.append(f"{path}: null")
            continue
        kind = JSON_TYPES[each.type]
        if not isinstance(value, kind) or isinstance(value, bool):
            found.append(f"{path}: expected {each.type}, got {type(value).__name__}")
        elif each.fields and each.type == "object":
            found += _check(path, each.fields, value)
        elif each.fields:
            for index, element in enumerate(value):
                found += _check(f"{path}[{index}]", each.fields, element)
    return found


def _type(each: Field) -> str:
    kind = "array of objects" if each.type == "array" and each.fields else each.type
    return f"{kind} or null" if each.nullable else kind


def _rows(fields: tuple[Field, ...], prefix: str = "") -> list[str]:
    rows = []
    for each in fields:
        rows.append(f"| `{prefix}{each.name}` | {_type(each)} | {each.text} |")
        if each.fields:
            inner = f"{prefix}{each.name}{'[]' if each.type == 'array' else ''}."
            rows += _rows(each.fields, inner)
    return rows


def markdown() -> str:
    """docs/events.md: every event, when it is sent, to whom, and its payload."""
    lines = [
        "# Events",
        "",
        "<!-- Generated from apps/notifications/events.py by "
        "`python manage.py events_doc`; do not edit. -->",
        "",
        "Shipshape announces each event below to webhooks and, for some, by email.",
        "A webhook's body is `{event, delivery_id, created_at, team, data}` (a "
        'Slack webhook gets `{"text": "…"}` instead); `data` is the payload listed '
        "here. An emailed event stores the same payload with its notification. "
        "Every field is always present; a field that may be null says so.",
        "",
        "| event | sent when |",
        "| --- | --- |",
        *(f"| `{event.name}` | {event.when} |" for event in EVENTS.values()),
        "",
    ]
    for event in EVENTS.values():
        lines += [
            f"## `{event.name}`",
            "",
            f"{event.label}: sent when {event.when}.",
            "",
            f"- Webhooks: {event.webhooks}.",
            f"- Email: {event.email or 'nobody'}.",
            "",
            "| field | type | holds |",
            "| --- | --- | --- |",
            *_rows(event.fields),
            "",
        ]
    return "\n".join(lines)
