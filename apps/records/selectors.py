"""Building the deployment record of a release, and choosing audit events to export."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.audit import chain
from apps.audit import selectors as audit_selectors
from apps.audit.models import AuditEvent
from apps.policy import selectors as policy_selectors
from apps.probes.models import ProbeResult
from apps.readiness.readiness import compute_readiness
from apps.releases.models import Release
from apps.signoffs import selectors as signoff_selectors
from apps.signoffs.models import SignOff

FORMAT = "shipshape.deployment-record/1"
EVENT_FIELDS = (*chain.FIELDS, "prev_hash", "hash")


def _when(value: datetime | None) -> str | None:
    return chain.timestamp(value) if value else None


def _name(user: User | None) -> str:
    return user.get_username() if user else ""


def event_values(values: dict[str, Any]) -> dict[str, Any]:
    """An event as exported: every hashed field, the two hashes, the time as text."""
    return {
        field: chain.timestamp(values[field])
        if field == "created_at"
        else values[field]
        for field in EVENT_FIELDS
    }


def _role(role: dict[str, str], decision: SignOff | None) -> dict[str, str]:
    return {
        "role": role["key"],
        "name": role["name"],
        "decision": decision.decision if decision else "pending",
        "by": _name(decision.user) if decision else "",
    }


def _override(release: Release) -> dict[str, Any] | None:
    """Who moved the release on against its blockers, why, and the blockers."""
    if not release.overridden:
        return None
    return {
        "status": release.override_status,
        "by": _name(release.override_by),
        "at": _when(release.override_at),
        "reason": release.override_reason,
        "blockers": release.override_blockers,
    }


def deployment_record_build(release: Release, *, by: User) -> dict[str, Any]:
    """Everything an auditor files about a release, as plain data.

    The timeline carries each event's hashes so the chain can be re-verified from
    the file alone (scripts/verify_chain.py); `audit_head` names the last event
    that covers the release.
    """
    items = release.items.select_related("changed_by").order_by("position")
    current = signoff_selectors.current_decisions(release)
    history = signoff_selectors.signoff_history(release)
    roles = release.signoff_roles
    results = (
        ProbeResult.objects.filter(run__release=release)
        .select_related("run")
        .order_by("run__created_at", "run_id", "name")
    )
    events = [
        event_values(values)
        for values in AuditEvent.objects.filter(release_id=release.pk)
        .order_by("seq")
        .values(*EVENT_FIELDS)
    ]
    return {
        "format": FORMAT,
        "generated_at": _when(timezone.now()),
        "generated_by": _name(by),
        "release": {
            "id": release.pk,
            "team": release.team.name,
            "service": release.service.name,
            "environment": release.environment.name,
            "version": release.version,
            "status": release.status,
            "planned_for": _when(release.planned_for),
            "created_at": _when(release.created_at),
            "created_by": _name(release.created_by),
            "status_label": release.status_label,
            "deployed_at": _when(release.deployed_at),
            "deployed_by": _name(release.deployed_by),
            "rolled_back_at": _when(release.rolled_back_at),
            "rolled_back_by": _name(release.rolled_back_by),
            "cancelled_at": _when(release.cancelled_at),
            "cancelled_by": _name(release.cancelled_by),
            "notes": release.notes,
            "deployment_notes": release.deployment_notes,
            "gate_request": release.gate_request or None,
            "status_reason": release.status_reason,
            "override": _override(release),
        },
        "checklist": [
            {
                "position": item.position,
                "phase": item.phase_title,
                "section": item.section_title,
                "kind": item.kind,
                "text": item.text,
                "required": item.required,
                "state": item.state,
                "note": item.note,
                "changed_by": _name(item.changed_by),
                "changed_at": _when(item.changed_at),
                "evidence": item.evidence_label,
            }
            for item in items
        ],
        "signoff_roles": [_role(role, current.get(role["key"])) for role in roles],
        "signoffs": [
            {
                "role": signoff.role_key,
                "name": signoff.role_name,
                "decision": signoff.decision,
                "comment": signoff.comment,
                "by": _name(signoff.user),
                "at": _when(signoff.created_at),
                "current": current.get(signoff.role_key) == signoff,
                # The single sign-on sign-in the signature was made under.
                "auth_time": _when(signoff.auth_time),
                "auth_acr": signoff.auth_acr,
                "auth_amr": " ".join(signoff.auth_amr),
            }
            for signoff in reversed(history)
        ],
        "probe_evidence": [
            {
                "run": result.run_id,
                "run_status": result.run.status,
                "run_finished_at": _when(result.run.finished_at),
                "probe": result.name,
                "kind": result.kind,
                "target": result.target,
                "status": result.status,
                "summary": result.summary,
                "observed": result.observed,
                "duration_ms": result.duration_ms,
                "at": _when(result.created_at),
            }
            for result in results
        ],
        # Readiness policy (apps.policy): verdict, waivers, exceptions, verification.
        "policy": record_facts(release),
        "timeline": events,
        "audit_head": {
            "seq": events[-1]["seq"] if events else None,
            "hash": events[-1]["hash"] if events else None,
        },
    }


def audit_export_teams(user: User) -> QuerySet[Team]:
    """The teams whose audit trail the user may export ("view_audit")."""
    teams = Team.objects.order_by("name")
    if user.is_superuser:
        return teams
    allowed = [
        team.pk
        for team in teams.filter(pk__in=permissions.team_ids_for(user) or [])
        if permissions.can(user, "view_audit", team)
    ]
    return teams.filter(pk__in=allowed)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_events_filter(
    events: QuerySet[AuditEvent],
    *,
    since: date | None = None,
    until: date | None = None,
    action: str = "",
    actor: str = "",
    target_type: str = "",
    release_id: int | None = None,
    version: str = "",
) -> QuerySet[AuditEvent]:
    """Narrow events the way the audit log and its export both do.

    `action` matches exactly or as a prefix (`release` matches `release.created`);
    `actor` is part of a username or name; `version` part of a release's version.
    """
    if since:
        events = events.filter(created_at__gte=_day_start(since))
    if until:
        events = events.filter(created_at__lt=_day_start(until + timedelta(days=1)))
    if action:
        events = events.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if actor:
        events = events.filter(
            Q(actor_label__icontains=actor)
            | Q(actor__first_name__icontains=actor)
            | Q(actor__last_name__icontains=actor)
        )
    if target_type:
        events = events.filter(target_type=target_type)
    if release_id is not None:
        events = events.filter(release_id=release_id)
    if version:
        releases = Release.objects.filter(version__icontains=version).values("pk")
        events = events.filter(release_id__in=releases)
    return events


def audit_events_for_export(
    user: User,
    *,
    teams: list[int],
    through_seq: int | None = None,
    **filters: Any,
) -> QuerySet[AuditEvent]:
    """Events of the given teams (already vetted) and of the templates every team
    shares, oldest first, narrowed by `filters` (see audit_events_filter).

    Superusers exporting every team also get events with no team, like sign-ins.
    """
    events = AuditEvent.objects.all()
    if user.is_superuser and not teams:
        pass
    else:
        events = events.filter(audit_selectors.audit_scope(teams))
    events = audit_events_filter(events, **filters)
    if through_seq is not None:
        events = events.filter(seq__lte=through_seq)
    return events.order_by("seq")


def audit_log_page(
    events: QuerySet[AuditEvent], *, before_seq: int | None, size: int
) -> tuple[list[AuditEvent], int | None]:
    """One page of the log, newest first, from `before_seq` down (keyset): the
    events and the seq to continue from, None on the last page. One query."""
    if before_seq is not None:
        events = events.filter(seq__lt=before_seq)
    rows = list(events.select_related("actor").order_by("-seq")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].seq if more else None)


def _release_id(event: AuditEvent) -> int | None:
    if event.release_id:
        return event.release_id
    if event.target_type == "releases.release" and event.target_id.isdigit():
        return int(event.target_id)
    return None


def release_of(event: AuditEvent, releases: dict[int, Release]) -> Release | None:
    """The event's release among those audit_log_releases found."""
    return releases.get(_release_id(event))


# Rows an event may name only by id (a change that left the name alone): the
# log reads their names, one query per kind on the page, never per event.
TARGET_NAMES: dict[str, tuple[str, tuple[str, ...], Callable[[Any], str]]] = {
    "catalog.service": ("catalog.Service", (), lambda row: row.name),
    "catalog.environment": ("catalog.Environment", ("service",), str),
    "contacts.contact": ("contacts.Contact", (), lambda row: row.name or row.role),
    "contacts.supportresource": (
        "contacts.SupportResource",
        (),
        lambda row: row.label,
    ),
    "notifications.webhook": ("notifications.Webhook", (), lambda row: row.name),
    "probes.probeconfig": ("probes.ProbeConfig", (), lambda row: row.name),
    "policy.freezewindow": ("policy.FreezeWindow", (), lambda row: row.name),
    "accounts.signoffgroup": ("accounts.SignOffGroup", (), lambda row: row.name),
    "maintenance.maintenanceplan": (
        "maintenance.MaintenancePlan",
        ("environment__service",),
        lambda row: str(row.environment),
    ),
}


def audit_log_targets(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """Names of the rows the events are about, for the kinds in TARGET_NAMES."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.target_type in TARGET_NAMES and event.target_id.isdigit():
            wanted.setdefault(event.target_type, set()).add(int(event.target_id))
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        label, related, name = TARGET_NAMES[kind]
        model = apps.get_model(label)
        for row in model.objects.filter(pk__in=ids).select_related(*related):
            names[kind, str(row.pk)] = name(row)
    return names


def audit_log_releases(events: list[AuditEvent]) -> dict[int, Release]:
    """The releases the events belong to (a deployment record's copy names its
    release as target), by id, with service and environment: one query."""
    ids = {_release_id(event) for event in events} - {None}
    if not ids:
        return {}
    found = Release.objects.filter(pk__in=ids).select_related("service", "environment")
    return {release.pk: release for release in found}


def audit_event_list_for_user(user: User) -> QuerySet[AuditEvent]:
    """Events of the user's teams and of shared templates; a superuser sees
    every event, also those with no team."""
    teams = permissions.team_ids_for(user)
    events = AuditEvent.objects.all()
    if teams is None:
        return events
    return events.filter(audit_selectors.audit_scope(teams))


def record_facts(release: Release) -> dict:
    """The policy part of a deployment record: the verdict with its warnings,
    waivers and freeze, every waiver and exception asked for, and the
    verification windows, as plain data."""
    facts = policy_selectors.readiness_facts(release)
    now = timezone.now()
    return {
        "verdict": compute_readiness(release, at=now, facts=facts).as_dict(),
        "evidence_max_age_seconds": int(
            settings.PROBE_EVIDENCE_MAX_AGE.total_seconds()
        ),
        "waivers": [
            {
                "blocker": f"{waiver.blocker_type}:{waiver.blocker_id}",
                "label": waiver.label,
                "reason": waiver.reason,
                "requested_by": waiver.requested_by,
                "approved_by": waiver.approved_by,
                "expires_at": waiver.expires_at.isoformat(),
                "state": policy_selectors.waiver_state(waiver, now),
            }
            for waiver in facts.waivers
        ],
        "emergency_exceptions": [
            {
                "reason": exception.reason,
                "approved_by": list(exception.approvers),
                "expires_at": exception.expires_at.isoformat(),
            }
            for exception in facts.exceptions
        ],
        "verification_windows": [
            {
                "id": window.id,
                "outcome": window.outcome,
                "summary": window.summary,
                "started_at": window.started_at.isoformat(),
                "measurements": window.measurements,
            }
            for window in facts.windows
        ],
    }
