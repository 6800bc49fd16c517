"""Reads of the audit trail for callers that scope it: by release, by team ids.

Reading it for a user (their teams) is apps.records' job."""

from django.db.models import Q, QuerySet

from apps.audit.models import AuditEvent

# Changes to a template every team shares carry no team, yet every team's
# releases may use that template: readers of any team see them.
SHARED_TARGET_TYPES = ("checklists.checklisttemplate",)


def audit_scope(teams: list[int]) -> Q:
    """The events readers of these teams see: the teams' own, and the changes to
    templates every team shares."""
    return Q(team_id__in=teams) | Q(
        team_id__isnull=True, target_type__in=SHARED_TARGET_TYPES
    )


def audit_events_for_release(release_id: int) -> QuerySet[AuditEvent]:
    """The events that cover one release, newest first; callers scope the release."""
    return AuditEvent.objects.filter(release_id=release_id).order_by("-seq")
