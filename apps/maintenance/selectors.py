"""Reads of maintenance checklists, scoped to the user's teams."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q

from apps.accounts import permissions
from apps.catalog.models import Environment
from apps.checklists.models import ChecklistTemplate
from apps.maintenance.models import (
    MaintenanceChecklist,
    MaintenanceItem,
)

HISTORY = 30


def checklists_for_environment(environment: Environment) -> list[MaintenanceChecklist]:
    """The environment's latest checklists with their items, newest first."""
    return list(
        MaintenanceChecklist.objects.filter(plan__environment=environment)
        .select_related("assignee")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=MaintenanceItem.objects.select_related("changed_by"),
            )
        )
        .order_by("-due_at", "cadence")[:HISTORY]
    )


def item_get_for_user(user: User, pk: int) -> MaintenanceItem:
    """A check of one of the user's teams' checklists; 404 otherwise."""
    return permissions.get_for_user(
        MaintenanceItem.objects.select_related(
            "checklist__plan__environment__service__team"
        ),
        user,
        pk,
        team_field="checklist__plan__environment__service__team_id",
        missing="No such check.",
    )


def overdue_for_user(user: User, now) -> list[MaintenanceChecklist]:
    """Open checklists past their due time in the user's teams, for a dashboard."""
    checklists = MaintenanceChecklist.objects.filter(
        completed_at__isnull=True, due_at__lte=now
    ).select_related("plan__environment__service")
    teams = permissions.team_ids_for(user)
    if teams is not None:
        checklists = checklists.filter(plan__environment__service__team_id__in=teams)
    return list(checklists.order_by("due_at")[:50])


def templates_with_maintenance(team) -> list[ChecklistTemplate]:
    """Templates the team may use that have a maintenance phase, newest first."""
    return list(
        ChecklistTemplate.objects.filter(phases__kind="maintenance")
        .filter(Q(team__isnull=True) | Q(team=team))
        .distinct()
        .order_by("name", "-version")
    )


def maintenance_template_for(team, pk: object) -> ChecklistTemplate:
    """A template the team may use with a maintenance phase, by id; a
    ValidationError naming `template` for any other id, the same for another
    team's template as for one that exists nowhere."""
    for template in templates_with_maintenance(team):
        if template.pk == pk:
            return template
    raise ValidationError({"template": "Choose a template with a maintenance phase."})
