"""Exports of deployment records and of the audit trail; every export is audited."""

import json
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from apps.accounts import permissions
from apps.audit import chain
from apps.audit import services as audit
from apps.audit.models import AuditEvent
from apps.records import selectors
from apps.releases.models import Release

FORMATS = ("html", "json", "csv")
EVENT_FORMATS = ("csv", "jsonl")


@transaction.atomic
def deployment_record_export(*, release: Release, fmt: str, by: User) -> dict[str, Any]:
    """Build a release's deployment record for `by`, audit that it was taken, and
    seal the copy with that audit event.

    The event holds a digest of every section of this copy and the number of
    timeline events, and the copy carries the event (with its hashes) as
    `seal`: editing any section or removing an event then fails
    scripts/verify_chain.py, and the seal's hash can be compared with the
    database (`verify_audit --published SEQ:HASH`). Refuses people without
    "view" on the release's team. The event names the release as its target
    but carries no release id, so taking a copy does not move the record's own
    last covering event.
    """
    permissions.require(by, "view", release.team)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown record format {fmt!r}.")
    record = selectors.deployment_record_build(release, by=by)
    # Digests of the record as a reader parses it back from the JSON download.
    sections = chain.section_digests(json.loads(json.dumps(record)))
    event = audit.record(
        actor=by,
        action="deployment_record.exported",
        target=release,
        team_id=release.team_id,
        after={
            "format": fmt,
            "audit_head": record["audit_head"]["seq"],
            "events": len(record["timeline"]),
            "sections": sections,
        },
    )
    record[chain.SEAL] = {
        "event": selectors.event_values(
            {field: getattr(event, field) for field in selectors.EVENT_FIELDS}
        )
    }
    return record


@transaction.atomic
def audit_events_export(
    *,
    by: User,
    fmt: str,
    team_ids: list[int],
    since: date | None = None,
    until: date | None = None,
    action: str = "",
    **filters: Any,
) -> QuerySet[AuditEvent]:
    """Audit the export of events and return them, up to the head at this moment.

    `filters` narrow it further as the audit log does (actor, target_type,
    release_id, version: selectors.audit_events_filter); those set are recorded.

    Refuses people without "view_audit" on every team asked for; an empty team
    list means all teams, which only a superuser may ask for.
    """
    if fmt not in EVENT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}.")
    allowed = set(selectors.audit_export_teams(by).values_list("pk", flat=True))
    if not team_ids and not by.is_superuser:
        team_ids = sorted(allowed)
    if (not team_ids and not by.is_superuser) or not set(team_ids) <= allowed:
        raise PermissionDenied("Your role does not allow exporting this audit trail.")
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    audit.record(
        actor=by,
        action="audit.exported",
        target_type="audit.auditevent",
        target_id=head or 0,
        team_id=team_ids[0] if len(team_ids) == 1 else None,
        after={
            "format": fmt,
            "teams": team_ids,
            "since": since,
            "until": until,
            "action": action,
            "through_seq": head or 0,
            **{name: value for name, value in filters.items() if value},
        },
    )
    return selectors.audit_events_for_export(
        by,
        teams=team_ids,
        since=since,
        until=until,
        action=action,
        through_seq=head or 0,
        **filters,
    )
