"""Odd dates and numbers: refused where they are typed, survived where they are stored.

Issue 16: an on-call override from 0001-01-01T00:00+14:00 to
9999-12-31T23:59:59-14:00 was saved, and every release page of the team and its
on-call page then answered 500 ("timestamp too small": year 0 in UTC, which
PostgreSQL keeps and Python cannot hold). Here:
- every service that takes a date refuses the calendar's edges, saying which
  field and what span it takes (2000-2100), and stores nothing;
- rows that already hold such dates (written with a queryset update, as a hand
  edit or an older version would) break no page and no API answer of the team:
  every endpoint of the access-control suite is fetched by the team's lead;
- the odd values of issue 16's item 6 (a cron that never fires, an infinite
  interval, a NUL in a form, the year 1 in a filter) are clear refusals.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone as dj_timezone
from rest_framework.test import APIClient

from apps.accounts.tokens import token_create
from apps.audit.models import AuditEvent
from apps.monitoring import services as monitoring
from apps.monitoring.models import ProbeSchedule
from apps.oncall import services as oncall
from apps.oncall.models import Override, Rotation
from apps.policy import services as policy
from apps.policy.models import EmergencyException, FreezeWindow, Waiver
from apps.probes import services as probes
from apps.releases import services as releases
from apps.releases.models import Release
from tests.resilience.test_access_control import (  # noqa: F401 (world is a fixture)
    ARGUMENTS,
    LISTS,
    url_of,
    world,
)

PLUS_14 = timezone(timedelta(hours=14))
MINUS_14 = timezone(-timedelta(hours=14))
# Year 0 and year 10000 once in UTC: the values of the report.
TOO_EARLY = datetime(1, 1, 1, tzinfo=PLUS_14)
TOO_LATE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_14)
SPAN = "between 2000-01-01 and 2100-12-31"


def weekly(team, lead, members, *, starts_on=date(2026, 1, 5), time_zone="UTC"):
    """A rotation handing over on Mondays at 09:00."""
    return oncall.rotation_save(
        team=team,
        by=lead,
        time_zone=time_zone,
        handover_weekday=0,
        handover_time=time(9, 0),
        starts_on=starts_on,
        members=members,
    )


@pytest.fixture
def rotation(team, lead, engineer) -> Rotation:
    return weekly(team, lead, [lead, engineer])


def _messages(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


def test_an_on_call_override_from_year_1_to_9999_is_refused_saying_why(
    rotation, lead, engineer
):
    with pytest.raises(ValidationError) as error:
        oncall.override_add(
            rotation=rotation,
            user=engineer,
            starts_at=TOO_EARLY,
            ends_at=TOO_LATE,
            by=lead,
        )

    assert error.value.message_dict == {
        "starts_at": [f"Give a date {SPAN}."],
        "ends_at": [f"Give a date {SPAN}."],
    }
    assert not Override.objects.exists()


def test_the_on_call_page_refuses_the_reported_override_and_stays_up(
    client, team, rotation, lead, engineer
):
    client.force_login(lead)
    response = client.post(
        f"/oncall/{team.slug}/overrides/",
        {
            "user": engineer.pk,
            "starts_at": "0001-01-01T00:00:00+14:00",
            "ends_at": "9999-12-31T23:59:59-14:00",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert f"Give a date {SPAN}." in response.text
    assert not Override.objects.exists()


def test_an_override_longer_than_a_year_is_refused(rotation, lead, engineer):
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as error:
        oncall.override_add(
            rotation=rotation,
            user=engineer,
            starts_at=start,
            ends_at=start + timedelta(days=367),
            by=lead,
        )
    assert "Span at most 366 days." in _messages(error)


def test_a_freeze_window_at_the_calendars_edges_is_refused(environment, lead):
    with pytest.raises(ValidationError) as error:
        policy.freeze_window_save(
            environment=environment,
            by=lead,
            name="forever",
            starts_at=TOO_EARLY,
            ends_at=TOO_LATE,
        )
    assert f"Give a date {SPAN}." in _messages(error)
    assert not FreezeWindow.objects.exists()


def test_a_waiver_or_exception_expiring_in_year_9999_is_refused(release, lead):
    item = release.items.filter(required=True).first()
    with pytest.raises(ValidationError) as waiver:
        policy.waiver_request(
            release=release,
            blocker_type="item",
            blocker_id=item.pk,
            reason="x",
            expires_at=TOO_LATE,
            by=lead,
        )
    with pytest.raises(ValidationError) as exception:
        policy.emergency_exception_request(
            release=release, reason="x", expires_at=TOO_EARLY, by=lead
        )
    assert f"Give a date {SPAN}." in _messages(waiver)
    assert f"Give a date {SPAN}." in _messages(exception)
    assert not Waiver.objects.exists() and not EmergencyException.objects.exists()


def test_a_planned_date_or_token_expiry_at_the_calendars_edges_is_refused(
    release, lead
):
    with pytest.raises(ValidationError) as planned:
        releases.release_update(release=release, planned_for=TOO_LATE, by=lead)
    with pytest.raises(ValidationError) as token:
        token_create(user=lead, name="forever", expires_at=TOO_LATE)
    assert f"Give a date {SPAN}." in _messages(planned)
    assert f"Give a date {SPAN}." in _messages(token)
    release.refresh_from_db()
    assert release.planned_for is None


def test_a_rotation_starting_in_year_1_is_refused(team, lead):
    with pytest.raises(ValidationError) as error:
        weekly(team, lead, [lead], starts_on=date(1, 1, 1))
    assert f"Give a day {SPAN}." in _messages(error)


@pytest.fixture
def extreme_rows(db, request):
    """Team "theirs" with every kind of row a person dates, at the calendar's edges.

    The dates are written with queryset updates, as a hand edit would, past the
    services that now refuse them. PostgreSQL only: SQLite's adapter cannot
    even write them (Django converts them to naive UTC first, out of range).
    """
    request.getfixturevalue("_require_postgres")
    rows = request.getfixturevalue("world")
    team, release = rows["team"], rows["release"]
    lead = team.memberships.get(role="lead").user
    rotation = weekly(team, lead, [lead], time_zone="Pacific/Kiritimati")
    now = dj_timezone.now()
    override = oncall.override_add(
        rotation=rotation,
        user=lead,
        starts_at=now,
        ends_at=now + timedelta(days=1),
        by=lead,
    )
    Override.objects.filter(pk=override.pk).update(
        starts_at=TOO_EARLY, ends_at=TOO_LATE
    )
    freeze = policy.freeze_window_save(
        environment=rows["environment"],
        by=lead,
        name="edge",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    FreezeWindow.objects.filter(pk=freeze.pk).update(
        starts_at=TOO_EARLY, ends_at=TOO_LATE
    )
    # The world already holds a waiver and an emergency exception of this
    # release (one per blocker, one per release): their dates are pushed out.
    waiver, exception = rows["waiver"], rows["exception"]
    Waiver.objects.filter(pk=waiver.pk).update(expires_at=TOO_LATE)
    EmergencyException.objects.filter(pk=exception.pk).update(expires_at=TOO_EARLY)
    schedule = monitoring.probe_schedule_save(
        config=rows["config"], by=lead, kind="interval", interval_minutes=5
    )
    ProbeSchedule.objects.filter(pk=schedule.pk).update(
        next_run_at=TOO_LATE, last_run_at=TOO_EARLY
    )
    Release.objects.filter(pk=release.pk).update(planned_for=TOO_EARLY)
    rows["token"].__class__.objects.filter(pk=rows["token"].pk).update(
        expires_at=TOO_LATE
    )
    rows["lead"] = lead
    return rows


# Answers 503 until the operator configures its signing key (ATTESTATION_KEY);
# tests/integrations/test_attestation.py reads it with one.
NEEDS_A_KEY = {"api:release-attestation"}
# Answer only a CI job's ID token (403 to a person's session or token);
# tests/integrations/test_ci_oidc.py reads them with one.
CI_JOBS_ONLY = {"api:ci-gate", "api:ci-release"}


def broken_answers(rows: dict, client: Client) -> list[tuple[str, int]]:
    """Every page and API endpoint of the access-control suite that its own lead
    cannot read: anything but 200, a redirect of an htmx-only fragment (302) or
    405 for the URLs that only take a POST. A read the database answers with an
    error is a 500 on a page and a 400 from the API: both count."""
    failed = []
    for name in sorted(set(ARGUMENTS) | LISTS):
        if name in NEEDS_A_KEY | CI_JOBS_ONLY:
            continue
        url = url_of(name, rows)
        response = client.get(url)
        if response.status_code not in (200, 302, 405):
            failed.append((url, response.status_code))
    return failed


def test_dates_no_python_can_hold_break_no_page_and_no_api_answer(extreme_rows):
    client = Client(raise_request_exception=False)
    client.force_login(extreme_rows["lead"])

    assert broken_answers(extreme_rows, client) == []

    oncall_page = client.get(f"/oncall/{extreme_rows['team'].slug}/")
    assert oncall_page.status_code == 200
    # The stored override is shown, at the nearest date Python can hold.
    assert '<td data-label="From">3 Jan 0001' in oncall_page.text
    release_page = client.get(f"/releases/{extreme_rows['release'].pk}/")
    assert release_page.status_code == 200
    assert "Dec 9999" in release_page.text  # on call "until" the stored end


def test_a_stored_time_zone_or_cron_this_version_refuses_breaks_no_page(
    extreme_rows,
):
    from apps.maintenance import services as maintenance
    from apps.maintenance.models import MaintenancePlan

    extreme_rows["maintenance_item"]()
    unknown = "Nowhere/Land"  # a hand edit, or a zone a newer tzdata renamed
    Rotation.objects.update(time_zone=unknown)
    MaintenancePlan.objects.update(time_zone=unknown)
    ProbeSchedule.objects.update(time_zone=unknown, kind="cron", cron="0 6 * * *")
    # Saved before this version refused crons that never fire.
    FreezeWindow.objects.update(
        time_zone=unknown,
        cron="0 0 30 2 *",
        duration_minutes=60,
        starts_at=None,
        ends_at=None,
    )
    client = Client(raise_request_exception=False)
    client.force_login(extreme_rows["lead"])

    assert broken_answers(extreme_rows, client) == []
    maintenance.maintenance_checklists_create_due()  # the beat task: no error
    ProbeSchedule.objects.update(next_run_at=dj_timezone.now())
    assert monitoring.probe_schedules_dispatch() == 1


def test_the_scheduler_passes_over_a_schedule_dated_past_year_9999(extreme_rows):
    ProbeSchedule.objects.update(next_run_at=TOO_EARLY)

    assert monitoring.probe_schedules_dispatch() == 1

    schedule = ProbeSchedule.objects.get()
    assert (
        dj_timezone.now()
        < schedule.next_run_at
        < dj_timezone.now() + timedelta(minutes=6)
    )


def test_a_stored_cron_that_never_fires_stops_only_its_own_schedule(
    extreme_rows, environment, lead
):
    ProbeSchedule.objects.update(next_run_at=dj_timezone.now())
    healthy = monitoring.probe_schedule_save(
        config=probes.probe_config_save(
            environment=environment,
            by=lead,
            name="Healthy",
            kind="http",
            target="http://127.0.0.1:9/",
        ),
        by=lead,
        kind="interval",
        interval_minutes=5,
    )
    ProbeSchedule.objects.exclude(pk=healthy.pk).update(
        kind="cron", cron="0 0 30 2 *", interval_seconds=None
    )

    assert monitoring.probe_schedules_dispatch() == 2

    broken = ProbeSchedule.objects.exclude(pk=healthy.pk).get()
    healthy.refresh_from_db()
    assert broken.next_run_at is None  # passed over from now on
    assert healthy.next_run_at > dj_timezone.now()


@pytest.fixture
def client_for(db):
    """An API client signed in with a Bearer token of the user."""

    def make(user) -> APIClient:
        _token, secret = token_create(user=user, name="tests", expires_at=None)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def probe(environment, lead):
    return probes.probe_config_save(
        environment=environment,
        by=lead,
        name="Health",
        kind="http",
        target="http://127.0.0.1:9/health/",
    )


def test_a_cron_that_never_fires_is_refused_over_the_api(client_for, probe, lead):
    response = client_for(lead).put(
        f"/api/v1/probe-schedules/{probe.pk}/",
        {"kind": "cron", "cron_expression": "0 0 30 2 *"},
        format="json",
    )

    assert response.status_code == 400
    assert "never matches" in response.json()["cron_expression"][0]
    assert not ProbeSchedule.objects.exists()


LONG_BUT_VALID_CRON = "0 0 " + ",".join(["1"] * 5000) + " 1 *"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        *[
            ({"kind": "interval", "interval_minutes": minutes}, "Health: Run at")
            for minutes in ["inf", "-inf", "nan", "1e308", "1e10"]
        ],
        (
            {"kind": "cron", "cron": LONG_BUT_VALID_CRON},
            "Health: keep the expression under 100 characters",
        ),
    ],
)
def test_the_schedule_page_refuses_what_no_clock_or_column_can_keep(
    client, probe, lead, fields, message
):
    client.force_login(lead)
    response = client.post(
        f"/monitoring/probes/{probe.pk}/schedule/",
        {**fields, "time_zone": "UTC"},
        follow=True,
    )

    assert response.status_code == 200
    assert message in response.text
    assert not ProbeSchedule.objects.exists()


def test_a_nul_in_the_on_call_members_is_refused(client, team, lead, engineer):
    client.force_login(lead)
    response = client.post(
        f"/oncall/{team.slug}/rotation/",
        {
            "time_zone": "UTC",
            "handover_weekday": "0",
            "handover_time": "09:00",
            "starts_on": "2026-01-05",
            "members": f"{lead.username}\x00\n{engineer.username}",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    assert not Rotation.objects.exists()


@pytest.mark.parametrize(
    "query", ["since=0001-01-01", "until=9999-12-31", "since=9999-12-31"]
)
def test_the_audit_export_refuses_days_outside_the_span(client, lead, release, query):
    client.force_login(lead)
    events = AuditEvent.objects.count()

    response = client.get(f"/records/audit-events/?download=1&format=csv&{query}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert f"Give a day {SPAN}." in response.text
    assert AuditEvent.objects.count() == events  # no export was recorded


@pytest.mark.parametrize("field", ["created_after", "created_before"])
def test_api_date_filters_refuse_the_calendars_edges(client_for, lead, field):
    response = client_for(lead).get(
        f"/api/v1/releases/?{field}=0001-01-01T00:00:00%2B14:00"
    )

    assert response.status_code == 400
    assert f"Give a date {SPAN}." in str(response.json())


def test_the_history_filter_refuses_the_year_9999(client, lead, release):
    client.force_login(lead)

    response = client.get("/history/?finished_to=9999-12-31")

    assert response.status_code == 200
    assert f"Give a day {SPAN}." in response.text


# Found by the widened property tests (tests/resilience/test_properties.py and
# tests/api/test_schema_fuzz.py), each a 500 before its fix.


def test_the_maintenance_page_refuses_an_assignee_that_is_not_an_id(
    client, environment, template, lead
):
    from apps.maintenance.models import MaintenancePlan

    client.force_login(lead)
    response = client.post(
        f"/maintenance/environments/{environment.pk}/plan/",
        {"template": template.pk, "time_zone": "UTC", "assignee": ":"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert not MaintenancePlan.objects.exists()


def test_a_nul_in_a_maintenance_note_is_refused(client, environment, template, lead):
    from apps.maintenance import services as maintenance
    from apps.maintenance.models import MaintenanceItem

    maintenance.maintenance_plan_save(
        environment=environment, template=template, by=lead, time_zone="UTC"
    )
    maintenance.maintenance_checklists_create_due()
    item = MaintenanceItem.objects.first()
    client.force_login(lead)

    response = client.post(
        f"/maintenance/items/{item.pk}/state/",
        {"state": "skipped", "note": "gone\x00fishing"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    item.refresh_from_db()
    assert item.state == "open"


@pytest.mark.parametrize("blocker_id", ["inf", "1e308", "x", "9" * 30])
def test_a_waiver_of_a_blocker_id_that_is_no_number_is_refused(
    client_for, release, lead, blocker_id
):
    response = client_for(lead).post(
        "/api/v1/waivers/",
        {
            "release": release.pk,
            "blocker_type": "item",
            "blocker_id": blocker_id,
            "reason": "x",
            "expires_at": (dj_timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"blocker_id": ["Not a gating item of this release."]}
    assert not Waiver.objects.exists()


@pytest.mark.parametrize(
    "counts",
    [
        {"consecutive_successes": 10**30},
        {"failure_limit": 10**30},
        {"regression_percent": 2**63},
    ],
)
def test_a_verification_window_refuses_counts_no_window_can_reach(
    release, probe, lead, counts
):
    from apps.policy import verification
    from apps.policy.models import VerificationWindow

    for status in ("ready", "deployed"):
        release = releases.release_transition(
            release=release, target=status, by=lead, reason="test", override=True
        )

    with pytest.raises(ValidationError) as error:
        verification.verification_window_start(release=release, by=lead, **counts)

    assert set(error.value.message_dict) == set(counts)
    assert not VerificationWindow.objects.exists()
