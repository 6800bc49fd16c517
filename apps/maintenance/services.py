"""Recurring maintenance: plans, creating each period's checklists, ticking, overdue.

Beat calls maintenance_tick() every few minutes. It asks the database which
plans lack a checklist for the current day, week or month (in the plan's time
zone) and creates them, then announces each checklist that has become overdue,
once.
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment
from apps.checklists.models import ChecklistTemplate, TemplateItem
from apps.core import cron, events
from apps.maintenance import periods
from apps.maintenance.models import (
    MaintenanceChecklist,
    MaintenanceItem,
    MaintenancePlan,
)
from apps.oncall import services as oncall

MAX_NOTE = 5000


def maintenance_items(template: ChecklistTemplate) -> dict[str, list[str]]:
    """The texts of the template's maintenance phase, by cadence (section title)."""
    items: dict[str, list[str]] = {cadence: [] for cadence in periods.CADENCES}
    rows = TemplateItem.objects.filter(
        phase__template=template, phase__kind="maintenance"
    ).select_related("section")
    for item in rows.order_by("section__position", "position"):
        title = (item.section.title if item.section else "").strip().lower()
        for cadence in periods.CADENCES:
            if title.startswith(cadence):
                items[cadence].append(item.text)
    return items


@transaction.atomic
def maintenance_plan_save(
    *,
    environment: Environment,
    template: ChecklistTemplate,
    by: User,
    time_zone: str = "UTC",
    assignee: User | None = None,
    enabled: bool = True,
) -> MaintenancePlan:
    """Start (or change) an environment's recurring maintenance; leads only.

    Refuses a template without maintenance items and an unknown time zone.
    """
    team = environment.service.team
    permissions.require(by, "manage_probes", team)
    oncall.zone(time_zone)
    if not any(maintenance_items(template).values()):
        raise ValidationError({"template": "This template has no maintenance phase."})
    if assignee is not None and not permissions.can(assignee, "tick", team):
        raise ValidationError({"assignee": f"{assignee} cannot tick in {team}."})
    existing = MaintenancePlan.objects.filter(environment=environment).first()
    before = _plan_facts(existing) if existing else {}
    plan, created = MaintenancePlan.objects.update_or_create(
        environment=environment,
        defaults={
            "template": template,
            "time_zone": time_zone,
            "assignee": assignee,
            "enabled": enabled,
        },
    )
    before, after = audit.diff(before, _plan_facts(plan))
    audit.record(
        actor=by,
        action="maintenance_plan.created" if created else "maintenance_plan.changed",
        target=plan,
        team_id=team.pk,
        before=before,
        after=after,
    )
    return plan


@transaction.atomic
def maintenance_plan_delete(*, plan: MaintenancePlan, by: User) -> None:
    """Stop an environment's recurring maintenance and remove the plan; leads only.

    Refuses a plan whose checklists record work (a check done or skipped): that
    is the environment's maintenance history, so pause such a plan instead
    (enabled off). Its untouched checklists go with it, each recorded.
    """
    team = plan.environment.service.team
    permissions.require(by, "manage_probes", team)
    plan = MaintenancePlan.objects.select_for_update().get(pk=plan.pk)
    worked = MaintenanceItem.objects.filter(checklist__plan=plan).exclude(
        state=MaintenanceItem.State.OPEN
    )
    if worked.exists():
        raise ValidationError(
            "Its checklists record maintenance done: pause the plan instead, "
            "so that history stays."
        )
    for checklist in plan.checklists.order_by("id"):
        audit.record(
            actor=by,
            action="maintenance_checklist.deleted",
            target=checklist,
            team_id=team.pk,
            before={
                "plan": str(plan),
                "cadence": checklist.cadence,
                "period_start": checklist.period_start,
                "due_at": checklist.due_at,
                "assignee": checklist.assignee.get_username()
                if checklist.assignee
                else None,
            },
        )
    audit.record(
        actor=by,
        action="maintenance_plan.deleted",
        target=plan,
        team_id=team.pk,
        before=_plan_facts(plan),
    )
    plan.delete()


def _plan_facts(plan: MaintenancePlan) -> dict:
    return {
        "environment": plan.environment.name,
        "template": str(plan.template),
        "time_zone": plan.time_zone,
        "assignee": plan.assignee.get_username() if plan.assignee else None,
        "enabled": plan.enabled,
    }


def maintenance_checklists_create_due(now: datetime | None = None) -> int:
    """Create the current day's, week's and month's checklists that are missing.

    Idempotent: the (plan, cadence, period) constraint keeps a repeat, or two
    concurrent ticks, from creating a second one. Returns how many were created.
    """
    now = now or timezone.now()
    created = 0
    plans = MaintenancePlan.objects.filter(enabled=True).select_related(
        "environment__service", "template"
    )
    for plan in plans:
        tz = cron.stored_zone(plan.time_zone)
        texts = maintenance_items(plan.template)
        for cadence in periods.CADENCES:
            if not texts[cadence]:
                continue
            start, due = periods.current(cadence, now, tz)
            if plan.checklists.filter(cadence=cadence, period_start=start).exists():
                continue
            try:
                with transaction.atomic():
                    _create(plan, cadence, start, due, texts[cadence])
            except IntegrityError:
                continue  # another tick created it first
            created += 1
    return created


def _create(plan, cadence, start, due, texts) -> MaintenanceChecklist:
    checklist = MaintenanceChecklist.objects.create(
        plan=plan,
        cadence=cadence,
        period_start=start,
        due_at=due,
        assignee=plan.assignee,
    )
    MaintenanceItem.objects.bulk_create(
        MaintenanceItem(checklist=checklist, position=position, text=text)
        for position, text in enumerate(texts)
    )
    audit.record(
        actor=None,
        actor_label="system: maintenance schedule",
        action="maintenance_checklist.created",
        target=checklist,
        team_id=plan.environment.service.team_id,
        after={
            "plan": str(plan),
            "cadence": cadence,
            "period_start": start,
            "due_at": due,
            "assignee": plan.assignee.get_username() if plan.assignee else None,
        },
    )
    return checklist


def maintenance_overdue_flag(now: datetime | None = None) -> int:
    """Announce every checklist that has become overdue, once; returns how many."""
    now = now or timezone.now()
    flagged = 0
    overdue = MaintenanceChecklist.objects.filter(
        completed_at__isnull=True, due_at__lte=now, overdue_notified_at__isnull=True
    ).values_list("pk", flat=True)
    for checklist_id in list(overdue):
        with transaction.atomic():
            checklist = (
                MaintenanceChecklist.objects.select_for_update(of=("self",))
                .select_related("plan__environment__service", "assignee")
                .get(pk=checklist_id)
            )
            if checklist.overdue_notified_at or checklist.completed_at:
                continue
            checklist.overdue_notified_at = now
            checklist.save(update_fields=["overdue_notified_at"])
            environment = checklist.plan.environment
            where = f"{environment.service.name} / {environment.name}"
            open_items = checklist.items.filter(state=MaintenanceItem.State.OPEN)
            lines = "\n".join(f"- {item.text}" for item in open_items)
            who = checklist.assignee.get_username() if checklist.assignee else "nobody"
            events.publish(
                "maintenance.overdue",
                key=f"maintenance.overdue:{checklist.pk}",
                subject=f"Overdue: {checklist.get_cadence_display().lower()} "
                f"maintenance of {where}",
                body=f"The {checklist} of {where} was due "
                f"{checklist.due_at:%Y-%m-%d %H:%M %Z} (assigned to {who}).\n\n"
                f"Still open:\n{lines}\n",
                link=reverse("maintenance:environment", args=[environment.pk]),
                team_id=environment.service.team_id,
                data={
                    "environment": environment.pk,
                    "checklist": checklist.pk,
                    "cadence": checklist.cadence,
                    "due_at": checklist.due_at.isoformat(),
                },
            )
            audit.record(
                actor=None,
                actor_label="system: maintenance schedule",
                action="maintenance_checklist.overdue",
                target=checklist,
                team_id=environment.service.team_id,
                before={"overdue_notified_at": None},
                after={"due_at": checklist.due_at, "overdue_notified_at": now},
            )
            flagged += 1
    return flagged


@transaction.atomic
def maintenance_item_set_state(
    *, item: MaintenanceItem, state: str, by: User, note: str = ""
) -> MaintenanceItem:
    """Mark a check done, skipped (with a note) or open again; engineers and leads.

    The checklist is complete once no check is open.
    """
    checklist = MaintenanceChecklist.objects.select_for_update().get(
        pk=item.checklist_id
    )
    team = checklist.plan.environment.service.team
    permissions.require(by, "tick", team)
    note = (note or "").strip()
    if state not in MaintenanceItem.State.values:
        raise ValidationError({"state": f"Unknown state {state!r}."})
    if state == MaintenanceItem.State.SKIPPED and not note:
        raise ValidationError({"note": "Say why this check is skipped."})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"Keep the note under {MAX_NOTE} characters."})
    before = {"state": item.state, "note": item.note}
    item.state, item.note = state, note
    item.changed_by, item.changed_at = by, timezone.now()
    item.save(update_fields=["state", "note", "changed_by", "changed_at"])
    still_open = checklist.items.filter(state=MaintenanceItem.State.OPEN).exists()
    checklist.completed_at = None if still_open else timezone.now()
    checklist.save(update_fields=["completed_at"])
    changed_before, changed_after = audit.diff(before, {"state": state, "note": note})
    audit.record(
        actor=by,
        action="maintenance_item.state_changed",
        target=item,
        team_id=team.pk,
        before={"text": item.text, **changed_before},
        after={**changed_after, "checklist_complete": not still_open},
    )
    return item


@transaction.atomic
def maintenance_checklist_assign(
    *, checklist: MaintenanceChecklist, assignee: User | None, by: User
) -> MaintenanceChecklist:
    """Give a checklist to a person of the team (or to nobody); leads only."""
    team = checklist.plan.environment.service.team
    permissions.require(by, "transition", team)
    if assignee is not None and not permissions.can(assignee, "tick", team):
        raise ValidationError({"assignee": f"{assignee} cannot tick in {team}."})
    before = checklist.assignee.get_username() if checklist.assignee else None
    checklist.assignee = assignee
    checklist.save(update_fields=["assignee"])
    audit.record(
        actor=by,
        action="maintenance_checklist.assigned",
        target=checklist,
        team_id=team.pk,
        before={"assignee": before},
        after={"assignee": assignee.get_username() if assignee else None},
    )
    return checklist


def maintenance_tick(now: datetime | None = None) -> dict:
    """What beat runs: create due checklists, then flag overdue ones."""
    return {
        "created": maintenance_checklists_create_due(now),
        "overdue": maintenance_overdue_flag(now),
    }
