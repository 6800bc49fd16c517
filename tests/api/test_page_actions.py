"""The same action from its page and from the API leaves the same audit event.

Each pair starts from the same state: the page's write runs inside a savepoint
that is rolled back once its events are read, then the API's write runs. The
events are compared on what they say (action, target type, team, release,
actor, before and after), not on ids a rolled-back sequence moved on.
"""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.probes.models import ProbeConfig
from tests import factories

pytestmark = pytest.mark.django_db

FIELDS = ("action", "target_type", "team_id", "release_id", "actor_id", "before")


def _events_of(write: Callable) -> list[tuple]:
    """The audit events one write appends, then undone."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    savepoint = transaction.savepoint()
    response = write()
    assert response.status_code in (200, 201, 204, 302), response.content[:500]
    events = [
        (*(getattr(event, name) for name in FIELDS), event.after)
        for event in AuditEvent.objects.filter(seq__gt=last or 0).order_by("seq")
    ]
    transaction.savepoint_rollback(savepoint)
    return events


@pytest.fixture
def page(lead) -> Client:
    client = Client()
    client.force_login(lead)
    return client


@pytest.fixture
def api(client_for, lead):
    return client_for(lead)


def _same_event(page_write: Callable, api_write: Callable) -> list[tuple]:
    from_page = _events_of(page_write)
    from_api = _events_of(api_write)

    assert from_page, "the page wrote nothing"
    assert from_api == from_page
    return from_api


def test_setting_the_rotation(page, api, team, lead, engineer):
    form = {
        "time_zone": "Europe/Berlin",
        "handover_weekday": "0",
        "handover_time": "09:00",
        "starts_on": "2026-03-23",
        "members": f"{engineer.username} {lead.username}",
    }
    body = {
        "time_zone": "Europe/Berlin",
        "handover_weekday": 0,
        "handover_time": "09:00",
        "starts_on": "2026-03-23",
        "members": [engineer.username, lead.username],
    }

    events = _same_event(
        lambda: page.post(reverse("oncall:rotation", args=[team.slug]), form),
        lambda: api.put(f"/api/v1/oncall-rotations/{team.pk}/", body, "json"),
    )

    assert [event[0] for event in events] == ["oncall_rotation.saved"]
    assert events[0][-1]["members"] == [engineer.username, lead.username]


def test_adding_an_override(page, api, team, lead, engineer):
    factories.weekly_rotation(team, lead, [lead])
    form = {
        "user": engineer.pk,
        "starts_at": "2026-06-01T09:00:00+00:00",
        "ends_at": "2026-06-08T09:00:00+00:00",
        "reason": "holiday",
    }
    body = {**form, "user": engineer.username, "team": team.pk}

    events = _same_event(
        lambda: page.post(reverse("oncall:override-add", args=[team.slug]), form),
        lambda: api.post("/api/v1/oncall-overrides/", body, "json"),
    )

    assert [event[0] for event in events] == ["oncall_override.added"]


def test_setting_the_maintenance_plan(page, api, environment, template, engineer):
    form = {
        "template": template.pk,
        "assignee": engineer.pk,
        "time_zone": "UTC",
        "enabled": "on",
    }
    body = {**form, "assignee": engineer.username, "enabled": True}

    events = _same_event(
        lambda: page.post(reverse("maintenance:plan", args=[environment.pk]), form),
        lambda: api.put(f"/api/v1/maintenance-plans/{environment.pk}/", body, "json"),
    )

    # The plan, then its first daily, weekly and monthly checklists.
    assert [event[0] for event in events] == [
        "maintenance_plan.created",
        *["maintenance_checklist.created"] * 3,
    ]


def test_deleting_an_override_and_the_rotation(page, api, team, lead, engineer):
    from apps.oncall import services as oncall

    rotation = factories.weekly_rotation(team, lead, [lead])
    override = oncall.override_add(
        rotation=rotation,
        user=engineer,
        starts_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
        ends_at=datetime(2026, 6, 8, 9, tzinfo=UTC),
        reason="holiday",
        by=lead,
    )

    removed = _same_event(
        lambda: page.post(reverse("oncall:override-delete", args=[override.pk])),
        lambda: api.delete(f"/api/v1/oncall-overrides/{override.pk}/"),
    )
    stopped = _same_event(
        lambda: page.post(reverse("oncall:rotation-delete", args=[team.slug])),
        lambda: api.delete(f"/api/v1/oncall-rotations/{team.pk}/"),
    )

    assert [event[0] for event in removed] == ["oncall_override.deleted"]
    assert removed[0][5]["user"] == engineer.username
    # The rotation's override goes with it, named in the trail.
    assert [event[0] for event in stopped] == [
        "oncall_override.deleted",
        "oncall_rotation.deleted",
    ]


def test_deleting_the_maintenance_plan(page, api, environment, template, lead):
    from apps.maintenance import services as maintenance

    maintenance.maintenance_plan_save(
        environment=environment, template=template, by=lead
    )
    maintenance.maintenance_checklists_create_due()

    events = _same_event(
        lambda: page.post(reverse("maintenance:plan-delete", args=[environment.pk])),
        lambda: api.delete(f"/api/v1/maintenance-plans/{environment.pk}/"),
    )

    assert [event[0] for event in events] == [
        *["maintenance_checklist.deleted"] * 3,
        "maintenance_plan.deleted",
    ]


def test_skipping_a_maintenance_check(page, api, environment, template, lead):
    check = factories.maintenance_check(environment, template, lead)
    form = {"state": "skipped", "note": "Backups run elsewhere this week."}

    events = _same_event(
        lambda: page.post(reverse("maintenance:item-state", args=[check.pk]), form),
        lambda: api.post(f"/api/v1/maintenance-items/{check.pk}/state/", form, "json"),
    )

    assert [event[0] for event in events] == ["maintenance_item.state_changed"]


def test_choosing_email_preferences(page, api):
    form = {"events": ["probe.failed", "certificate.expiring"], "digest": "on"}
    body = {"events": ["probe.failed", "certificate.expiring"], "digest": True}

    events = _same_event(
        lambda: page.post(reverse("notifications:email-preferences"), form),
        lambda: api.put("/api/v1/me/email-preferences/", body, "json"),
    )

    assert [event[0] for event in events] == ["email_preference.changed"]
    assert events[0][-1] == {
        "events": ["probe.failed", "certificate.expiring"],
        "digest": True,
    }


def test_asking_for_a_sign_off(page, api, release, engineer):
    role = release.signoff_roles[0]["key"]
    form = {"role_key": role, "person": engineer.pk, "note": "Before Friday."}
    body = {**form, "person": engineer.username, "release": release.pk}

    events = _same_event(
        lambda: page.post(reverse("signoffs:request", args=[release.pk]), form),
        lambda: api.post("/api/v1/signoffs/requests/", body, "json"),
    )

    assert [event[0] for event in events] == ["signoff.requested"]
    assert events[0][-1]["person"] == engineer.username


def test_testing_a_probe(page, api, environment):
    # A loopback target: the egress policy refuses it before anything is sent.
    config = ProbeConfig.objects.create(
        environment=environment, name="web", kind="http", target="http://127.0.0.1:9/"
    )

    events = _same_event(
        lambda: page.post(reverse("catalog:probe-test", args=[config.pk])),
        lambda: api.post(f"/api/v1/probe-configs/{config.pk}/test/"),
    )

    assert [event[0] for event in events] == ["probe_config.tested"]
