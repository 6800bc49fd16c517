"""Reads of the audit trail, scoped to what the user may see."""

from django.contrib.auth.models import User
from django.db.models import QuerySet

from apps.accounts.permissions import team_ids_for
from apps.audit.models import AuditEvent


def audit_events_for_release(release_id: int) -> QuerySet[AuditEvent]:
    """The events that cover one release, newest first; callers scope the release."""
    return AuditEvent.objects.filter(release_id=release_id).order_by("-seq")


def audit_event_list_for_user(user: User) -> QuerySet[AuditEvent]:
    """Events of the user's teams; a superuser also sees events with no team."""
    teams = team_ids_for(user)
    events = AuditEvent.objects.all()
    return events if teams is None else events.filter(team_id__in=teams)
