"""Recording incidents (page, API, webhook): each write audited."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Service
from apps.core import moments
from apps.incidents.models import Incident
from apps.releases.models import Release

FIELDS = (
    "title",
    "severity",
    "user_facing",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "caused_by",
    "remediated_by",
)
# Each moment may not come before the ones listed before it.
MOMENTS = ("started_at", "detected_at", "mitigated_at", "resolved_at")


def _facts(incident: Incident) -> dict[str, Any]:
    return {
        "service": incident.service_id,
        "title": incident.title,
        "severity": incident.severity,
        "user_facing": incident.user_facing,
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "mitigated_at": incident.mitigated_at,
        "resolved_at": incident.resolved_at,
        "caused_by": incident.caused_by_id,
        "remediated_by": incident.remediated_by_id,
        "source": incident.source,
        "external_id": incident.external_id,
    }


def _check(incident: Incident) -> None:
    """Title, severity, moments in order, and releases of the incident's service."""
    errors: dict[str, str] = {}
    incident.title = (incident.title or "").strip()
    if not incident.title:
        errors["title"] = "Give the incident a title."
    elif len(incident.title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if incident.severity not in Incident.Severity.values:
        errors["severity"] = f"Unknown severity {incident.severity!r}."
    if incident.started_at is None:
        errors["started_at"] = "Say when the incident started."
    earlier: tuple[str, datetime] | None = None
    for name in MOMENTS:
        value = getattr(incident, name)
        if value is None:
            continue
        if not isinstance(value, datetime):
            errors[name] = "Give a date and time."
            continue
        try:
            value = moments.moment_check(value, field=name)
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        setattr(incident, name, value)
        if earlier and value < earlier[1] and name not in errors:
            label = earlier[0].removesuffix("_at")
            errors[name] = f"This cannot come before the incident was {label}."
        earlier = (name, value)
    for name in ("caused_by", "remediated_by"):
        release = getattr(incident, name)
        if release is not None and release.service_id != incident.service_id:
            errors[name] = f"Release {release.pk} is not a release of this service."
    if errors:
        raise ValidationError(errors)


def _save(incident: Incident, *, by: User | None, action: str, before: dict | None):
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:
        raise ValidationError(
            {"external_id": "The team already has an incident with this id."}
        ) from None
    after = _facts(incident)
    if before is not None:
        before, after = audit.diff(before, after)
    audit.record(
        actor=by,
        actor_label="" if by else "incident webhook",
        action=action,
        target=incident,
        team_id=incident.team_id,
        before=before,
        after=after,
    )
    return incident


@transaction.atomic
def incident_create(
    *,
    service: Service,
    title: str,
    started_at: datetime,
    by: User,
    severity: str = Incident.Severity.SEV3,
    user_facing: bool = True,
    detected_at: datetime | None = None,
    mitigated_at: datetime | None = None,
    resolved_at: datetime | None = None,
    caused_by: Release | None = None,
    remediated_by: Release | None = None,
    source: str = Incident.Source.PAGE,
    external_id: str = "",
) -> Incident:
    """Record an incident of a service (leads and engineers).

    Refuses an empty title, moments out of order (started ≤ detected ≤
    mitigated ≤ resolved) and releases of another service.
    """
    permissions.require(by, "record_incident", service.team)
    incident = Incident(
        team_id=service.team_id,
        service=service,
        title=title,
        severity=severity,
        user_facing=user_facing,
        started_at=started_at,
        detected_at=detected_at,
        mitigated_at=mitigated_at,
        resolved_at=resolved_at,
        caused_by=caused_by,
        remediated_by=remediated_by,
        source=source,
        external_id=(external_id or "").strip()[:200],
        created_by=by,
    )
    _check(incident)
    return _save(incident, by=by, action="incident.created", before=None)


@transaction.atomic
def incident_update(*, incident: Incident, by: User, **changes: Any) -> Incident:
    """Change an incident's FIELDS (leads and engineers); the service stays.

    The same checks as incident_create(); a change that changes nothing writes
    no event.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    permissions.require(by, "record_incident", incident.team)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"Not changeable here: {', '.join(sorted(unknown))}.")
    before = _facts(incident)
    for name, value in changes.items():
        setattr(incident, name, value)
    _check(incident)
    if _facts(incident) == before:
        return incident
    return _save(incident, by=by, action="incident.changed", before=before)


@transaction.atomic
def incident_report(
    *, service: Service, external_id: str, by: User, **fields: Any
) -> tuple[Incident, bool]:
    """The webhook's write: create the team's incident with this external id, or
    update it when it was reported before. Returns it and whether it is new."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise ValidationError({"id": "Give the incident's id in your tool."})
    existing = Incident.objects.filter(
        team_id=service.team_id, external_id=external_id[:200]
    ).first()
    if existing is None:
        incident = incident_create(
            service=service,
            by=by,
            source=Incident.Source.WEBHOOK,
            external_id=external_id,
            **fields,
        )
        return incident, True
    if existing.service_id != service.pk:
        raise ValidationError(
            {"service": "This incident was reported for another service."}
        )
    return incident_update(incident=existing, by=by, **fields), False
