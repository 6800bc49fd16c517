"""On-call rotations: who is on call at hand-over boundaries, across clock changes
and with holiday overrides; the release page names them."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.oncall import services
from tests import factories


@pytest.fixture
def people(team, lead, engineer, second_engineer):
    return [lead, engineer, second_engineer]


@pytest.fixture
def rotation(team, lead, people):
    # Monday 09:00 in Berlin, from Monday 23 March 2026 (still CET, UTC+1).
    return services.rotation_save(
        team=team,
        by=lead,
        time_zone="Europe/Berlin",
        handover_weekday=0,
        handover_time=time(9, 0),
        starts_on=date(2026, 3, 23),
        members=people,
    )


def who(team, *args) -> str | None:
    duty = services.on_call_now(team, datetime(*args, tzinfo=UTC))
    return duty.user.username if duty else None


def test_nobody_is_on_call_before_the_first_hand_over(team, rotation):
    assert who(team, 2026, 3, 23, 7, 59, 59) is None


def test_hand_over_happens_exactly_at_the_local_time(team, rotation, people):
    first, second, third = (person.username for person in people)
    assert who(team, 2026, 3, 23, 8, 0) == first
    # Berlin switched to CEST (UTC+2) on 29 March: 09:00 local is 07:00 UTC.
    assert who(team, 2026, 3, 30, 6, 59, 59) == first
    assert who(team, 2026, 3, 30, 7, 0) == second
    assert who(team, 2026, 4, 6, 7, 0) == third
    assert who(team, 2026, 4, 13, 7, 0) == first


def test_on_call_until_the_next_hand_over(team, rotation):
    duty = services.on_call_now(team, datetime(2026, 3, 25, 12, 0, tzinfo=UTC))
    assert duty.until == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert duty.reason == "rotation"


def test_an_override_covers_a_holiday_then_the_rotation_resumes(
    team, rotation, lead, people
):
    cover = people[2]
    services.override_add(
        rotation=rotation,
        user=cover,
        starts_at=datetime(2026, 3, 31, 0, 0, tzinfo=UTC),
        ends_at=datetime(2026, 4, 2, 0, 0, tzinfo=UTC),
        reason="Easter holiday",
        by=lead,
    )
    assert who(team, 2026, 3, 30, 23, 59, 59) == people[1].username
    duty = services.on_call_now(team, datetime(2026, 3, 31, 0, 0, tzinfo=UTC))
    assert (duty.user, duty.reason) == (cover, "Easter holiday")
    assert who(team, 2026, 4, 2, 0, 0) == people[1].username
    assert AuditEvent.objects.filter(action="oncall_override.added").count() == 1


def test_the_newest_of_overlapping_overrides_wins(team, rotation, lead, people):
    for person in (people[0], people[2]):
        services.override_add(
            rotation=rotation,
            user=person,
            starts_at=datetime(2026, 4, 1, tzinfo=UTC),
            ends_at=datetime(2026, 4, 3, tzinfo=UTC),
            by=lead,
        )
    assert who(team, 2026, 4, 2, 12, 0) == people[2].username


def test_rotation_rules(team, lead, engineer, auditor):
    with pytest.raises(ValidationError, match="hand-over weekday"):
        services.rotation_save(
            team=team,
            by=lead,
            time_zone="UTC",
            handover_weekday=0,
            handover_time=time(9),
            starts_on=date(2026, 3, 24),
            members=[engineer],
        )
    with pytest.raises(ValidationError, match="not an engineer or lead"):
        services.rotation_save(
            team=team,
            by=lead,
            time_zone="UTC",
            handover_weekday=1,
            handover_time=time(9),
            starts_on=date(2026, 3, 24),
            members=[auditor],
        )
    with pytest.raises(PermissionDenied):
        services.rotation_save(
            team=team,
            by=engineer,
            time_zone="UTC",
            handover_weekday=1,
            handover_time=time(9),
            starts_on=date(2026, 3, 24),
            members=[engineer],
        )


def test_override_must_end_after_it_starts(rotation, lead, engineer):
    start = datetime(2026, 4, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        services.override_add(
            rotation=rotation, user=engineer, starts_at=start, ends_at=start, by=lead
        )


def test_oncall_page_shows_who_is_on_call_and_hides_other_teams(
    client, team, rotation, engineer, outsider
):
    client.force_login(engineer)
    page = client.get(f"/oncall/{team.slug}/")
    assert page.status_code == 200
    assert "Coming weeks" in page.text
    assert "Monday 09:00" in page.text
    client.force_login(outsider)
    assert client.get(f"/oncall/{team.slug}/").status_code == 404


def test_lead_adds_an_override_on_the_page_and_engineer_cannot(
    client, team, rotation, lead, engineer
):
    now = datetime.now(UTC)
    form = {
        "user": engineer.pk,
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "swap",
    }
    client.force_login(engineer)
    assert client.post(f"/oncall/{team.slug}/overrides/", form).status_code == 403
    client.force_login(lead)
    assert client.post(f"/oncall/{team.slug}/overrides/", form).status_code == 302
    assert services.on_call_now(team).user == engineer


def test_failure_text_names_the_person_on_call_and_escalation_contacts(
    team, rotation, lead, people
):
    from apps.contacts.models import Contact

    Contact.objects.create(
        team=team, role="DevOps Lead", name="Ada", phone="+1 555", escalation_order=1
    )
    services.override_add(
        rotation=rotation,
        user=people[1],
        starts_at=datetime.now(UTC) - timedelta(hours=1),
        ends_at=datetime.now(UTC) + timedelta(hours=1),
        by=lead,
    )
    text = services.on_call_text(team, factories.ServiceFactory(team=team))
    assert f"On call now: {people[1].username}" in text
    assert "1. DevOps Lead: Ada +1 555" in text


def test_release_page_names_who_is_on_call_now(client, release, rotation, lead, people):
    services.override_add(
        rotation=rotation,
        user=people[2],
        starts_at=datetime.now(UTC) - timedelta(hours=1),
        ends_at=datetime.now(UTC) + timedelta(hours=1),
        reason="covering",
        by=lead,
    )
    client.force_login(lead)
    page = client.get(release.get_absolute_url())
    assert page.status_code == 200
    assert 'id="oncall-panel"' in page.text
    assert people[2].username in page.text.split('id="oncall-panel"')[1]


def test_lead_sets_up_the_rotation_on_the_page(client, team, lead, engineer, auditor):
    form = {
        "time_zone": "Europe/Berlin",
        "handover_weekday": "0",
        "handover_time": "09:00",
        "starts_on": "2026-03-23",
        "members": f"{engineer.username}\n{lead.username}",
    }
    client.force_login(auditor)
    assert client.post(f"/oncall/{team.slug}/rotation/", form).status_code == 403
    client.force_login(lead)
    assert client.post(f"/oncall/{team.slug}/rotation/", form).status_code == 302
    assert who(team, 2026, 3, 23, 8, 0) == engineer.username
    assert who(team, 2026, 3, 30, 7, 0) == lead.username
    page = client.get(f"/oncall/{team.slug}/")
    assert "Monday 09:00" in page.text
    assert AuditEvent.objects.filter(action="oncall_rotation.saved").count() == 1


def test_only_leads_remove_an_override_or_delete_the_rotation(
    client, team, lead, engineer, auditor
):
    from apps.oncall.models import Override, Rotation

    rotation = factories.weekly_rotation(team, lead, [lead, engineer])
    override = services.override_add(
        rotation=rotation,
        user=engineer,
        starts_at=datetime(2026, 6, 1, 9, tzinfo=UTC),
        ends_at=datetime(2026, 6, 8, 9, tzinfo=UTC),
        by=lead,
    )
    remove = f"/oncall/overrides/{override.pk}/delete/"
    delete = f"/oncall/{team.slug}/rotation/delete/"
    for person in (engineer, auditor):
        client.force_login(person)
        assert client.post(remove).status_code == 403
        assert client.post(delete).status_code == 403
    client.force_login(lead)
    confirm = client.get(delete)

    assert "its\n  1 override goes with it" in confirm.text
    assert client.post(delete).status_code == 302
    assert not Rotation.objects.filter(team=team).exists()
    assert not Override.objects.exists()
    assert client.get(delete).status_code == 404
    assert list(
        AuditEvent.objects.filter(action__endswith="deleted")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["oncall_override.deleted", "oncall_rotation.deleted"]
