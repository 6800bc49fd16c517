"""Recurring maintenance checklists: periods, due and overdue across day, week and
month boundaries and time zones; ticking, skipping, assigning; history audited."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.maintenance import periods, services
from apps.maintenance.models import MaintenanceChecklist
from apps.notifications.models import Notification

AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def plan(environment, template, lead, engineer):
    return services.maintenance_plan_save(
        environment=environment,
        template=template,
        by=lead,
        time_zone="Pacific/Auckland",
        assignee=engineer,
    )


def test_default_template_maintenance_phase_has_daily_weekly_and_monthly_items(
    template,
):
    items = services.maintenance_items(template)
    assert items["daily"][0] == "Check error rates"
    assert "Test backup restoration" in items["weekly"]
    assert items["monthly"][-1] == "Disaster recovery drill"
    assert [len(items[c]) for c in periods.CADENCES] == [4, 5, 5]


def test_periods_follow_the_local_date_not_utc():
    # 12:00 UTC on 31 March is already 1 April in Auckland (NZDT, UTC+13).
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert periods.current("daily", at, AUCKLAND) == (
        date(2026, 4, 1),
        datetime(2026, 4, 2, 0, 0, tzinfo=AUCKLAND),
    )
    assert periods.current("monthly", at, AUCKLAND)[0] == date(2026, 4, 1)
    assert periods.current("monthly", at, LOS_ANGELES)[0] == date(2026, 3, 1)


def test_weekly_period_runs_monday_to_monday_across_a_clock_change():
    # Auckland leaves daylight saving on Sunday 5 April 2026.
    start, due = periods.current(
        "weekly", datetime(2026, 4, 1, 0, 0, tzinfo=UTC), AUCKLAND
    )
    assert start == date(2026, 3, 30)
    assert due == datetime(2026, 4, 6, 0, 0, tzinfo=AUCKLAND)
    assert due.utcoffset() == timedelta(hours=12)


def test_monthly_period_of_february_in_a_leap_year():
    start, due = periods.current(
        "monthly", datetime(2028, 2, 29, 12, 0, tzinfo=UTC), ZoneInfo("UTC")
    )
    assert (start, due) == (date(2028, 2, 1), datetime(2028, 3, 1, tzinfo=UTC))


def test_tick_creates_each_cadence_once_per_period(plan):
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert services.maintenance_checklists_create_due(at) == 3
    assert services.maintenance_checklists_create_due(at) == 0
    daily = plan.checklists.get(cadence="daily")
    assert daily.items.count() == 4
    assert daily.assignee == plan.assignee
    # The next local day brings a new daily checklist; the week and month stay.
    assert services.maintenance_checklists_create_due(at + timedelta(days=1)) == 1
    # Monday 6 April in Auckland starts a new week, still in April.
    monday = datetime(2026, 4, 5, 12, 0, tzinfo=UTC)
    assert services.maintenance_checklists_create_due(monday) == 2
    assert set(
        plan.checklists.filter(period_start=date(2026, 4, 6)).values_list(
            "cadence", flat=True
        )
    ) == {"daily", "weekly"}
    assert (
        AuditEvent.objects.filter(action="maintenance_checklist.created").count() == 6
    )


def test_overdue_is_flagged_at_the_local_end_of_the_period_and_told_once(
    plan, lead, engineer, django_capture_on_commit_callbacks
):
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    services.maintenance_checklists_create_due(at)
    daily = plan.checklists.get(cadence="daily")
    assert daily.due_at == datetime(2026, 4, 1, 11, 0, tzinfo=UTC)
    just_before = daily.due_at - timedelta(seconds=1)
    assert services.maintenance_overdue_flag(just_before) == 0
    assert not daily.is_overdue(just_before)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.maintenance_overdue_flag(daily.due_at) == 1
    assert services.maintenance_overdue_flag(daily.due_at + timedelta(hours=1)) == 0
    notification = Notification.objects.get(event="maintenance.overdue")
    assert notification.subject.startswith("Overdue: daily maintenance of")
    assert "assigned to " + engineer.username in notification.body
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(
        [lead.email, engineer.email]
    )


def test_a_completed_checklist_is_never_overdue(plan, engineer):
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    services.maintenance_checklists_create_due(at)
    daily = plan.checklists.get(cadence="daily")
    items = list(daily.items.all())
    for item in items[:-1]:
        services.maintenance_item_set_state(item=item, state="done", by=engineer)
    services.maintenance_item_set_state(
        item=items[-1],
        state="skipped",
        note="backups moved to the new job",
        by=engineer,
    )
    daily.refresh_from_db()
    assert daily.completed_at is not None
    assert services.maintenance_overdue_flag(daily.due_at + timedelta(days=2)) == 0
    event = (
        AuditEvent.objects.filter(action="maintenance_item.state_changed")
        .order_by("-seq")
        .first()
    )
    assert event.after == {
        "state": "skipped",
        "note": "backups moved to the new job",
        "checklist_complete": True,
    }


def test_skipping_needs_a_note_and_auditors_cannot_tick(plan, engineer, auditor):
    services.maintenance_checklists_create_due(datetime(2026, 3, 31, tzinfo=UTC))
    item = plan.checklists.get(cadence="weekly").items.first()
    with pytest.raises(ValidationError, match="why"):
        services.maintenance_item_set_state(item=item, state="skipped", by=engineer)
    with pytest.raises(PermissionDenied):
        services.maintenance_item_set_state(item=item, state="done", by=auditor)


def test_lead_assigns_a_checklist_to_a_team_member(plan, lead, second_engineer):
    services.maintenance_checklists_create_due(datetime(2026, 3, 31, tzinfo=UTC))
    checklist = plan.checklists.get(cadence="monthly")
    services.maintenance_checklist_assign(
        checklist=checklist, assignee=second_engineer, by=lead
    )
    assert MaintenanceChecklist.objects.get(pk=checklist.pk).assignee == second_engineer
    assert AuditEvent.objects.filter(action="maintenance_checklist.assigned").exists()


def test_maintenance_page_shows_overdue_and_ticks_items(
    client, plan, engineer, outsider, django_assert_max_num_queries
):
    services.maintenance_checklists_create_due(datetime(2026, 3, 31, tzinfo=UTC))
    client.force_login(engineer)
    url = f"/maintenance/environments/{plan.environment_id}/"
    with django_assert_max_num_queries(10):
        page = client.get(url)
    assert page.status_code == 200
    assert "Overdue" in page.text
    assert "Check error rates" in page.text
    item = plan.checklists.get(cadence="daily").items.first()
    response = client.post(
        f"/maintenance/items/{item.pk}/state/", {"state": "done", "note": ""}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == "done"
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_the_page_offers_done_and_skip_for_open_checks_and_reopen_for_the_others(
    client, plan, engineer
):
    services.maintenance_checklists_create_due(datetime(2026, 3, 31, tzinfo=UTC))
    checklist = plan.checklists.get(cadence="weekly")
    first, second = checklist.items.order_by("position")[:2]
    client.force_login(engineer)
    url = f"/maintenance/environments/{plan.environment_id}/"
    client.post(f"/maintenance/items/{first.pk}/state/", {"state": "done"})

    page = client.get(url).text
    done = page.split(f'id="mitem-{first.pk}"')[1].split("</li>")[0]
    still_open = page.split(f'id="mitem-{second.pk}"')[1].split("</li>")[0]
    assert f'>Reopen<span class="visually-hidden">: {first.text}</span>' in done
    assert f"Done by {engineer.username}" in " ".join(done.split())
    assert ">Done<" not in done
    assert f'>Done<span class="visually-hidden">: {second.text}</span>' in still_open
    assert f'<label class="visually-hidden" for="note-{second.pk}">' in still_open

    client.post(f"/maintenance/items/{first.pk}/state/", {"state": "open"})
    first.refresh_from_db()
    assert first.state == "open"


def test_an_environment_without_a_plan_says_what_a_plan_does(
    client, environment, lead, engineer
):
    url = f"/maintenance/environments/{environment.pk}/"
    client.force_login(lead)
    assert "Start a maintenance plan" in client.get(url).text
    client.force_login(engineer)
    page = client.get(url).text
    assert "a team lead starts one" in page and "Start a maintenance plan" not in page


def test_lead_starts_maintenance_on_the_page_and_checklists_appear(
    client, environment, template, lead, engineer, auditor
):
    url = f"/maintenance/environments/{environment.pk}/"
    form = {
        "template": template.pk,
        "time_zone": "Europe/London",
        "assignee": engineer.pk,
        "enabled": "on",
    }
    client.force_login(auditor)
    assert client.post(f"{url}plan/", form).status_code == 403
    client.force_login(lead)
    assert client.post(f"{url}plan/", form).status_code == 302
    page = client.get(url)
    assert page.text.count('id="checklist-') == 3
    assert f"assigned to {engineer.username}" in page.text


def test_the_dashboard_flags_overdue_maintenance_of_the_users_teams(
    client, plan, lead, outsider
):
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    services.maintenance_checklists_create_due(at)
    client.force_login(lead)
    page = client.get("/").content.decode()
    assert "Maintenance overdue" in page
    assert "daily checks" in page
    client.force_login(outsider)
    assert "Maintenance overdue" not in client.get("/").content.decode()


def test_a_plan_whose_checklists_record_work_is_paused_not_deleted(
    client, environment, template, lead, engineer, auditor
):
    from apps.maintenance.models import MaintenancePlan

    plan = services.maintenance_plan_save(
        environment=environment, template=template, by=lead
    )
    services.maintenance_checklists_create_due()
    item = plan.checklists.order_by("id").first().items.order_by("position").first()
    services.maintenance_item_set_state(item=item, state="done", by=engineer)
    url = f"/maintenance/environments/{environment.pk}/plan/delete/"
    client.force_login(auditor)
    assert client.post(url).status_code == 403
    client.force_login(lead)

    refused = client.post(url)

    assert refused.status_code == 200
    assert "record maintenance done: pause the plan instead" in refused.text
    assert MaintenancePlan.objects.filter(pk=plan.pk).exists()
    assert not AuditEvent.objects.filter(action="maintenance_plan.deleted").exists()

    item.refresh_from_db()
    services.maintenance_item_set_state(item=item, state="open", by=engineer)
    assert client.post(url).status_code == 302
    assert not MaintenancePlan.objects.filter(pk=plan.pk).exists()
    assert not MaintenanceChecklist.objects.exists()
    assert AuditEvent.objects.filter(action="maintenance_plan.deleted").count() == 1
