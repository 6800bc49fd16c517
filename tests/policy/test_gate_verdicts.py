"""The gate's verdict under the policy: severities, waivers, freezes, exceptions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.policy import services
from apps.readiness.readiness import compute_readiness
from apps.releases import services as release_services
from apps.releases.models import ReleaseItem
from tests.policy.conftest import finished_run, probe_config, ready_but_one

pytestmark = pytest.mark.django_db


def _types(readiness) -> list[tuple[str, str]]:
    return [(b.type, b.text) for b in readiness.blockers]


def test_an_open_advisory_item_is_a_warning_and_the_release_stays_ready(release, lead):
    item = ready_but_one(release, lead, severity="advisory")

    readiness = compute_readiness(release)

    assert readiness.ready is True
    assert readiness.score == 100
    assert [w.text for w in readiness.warnings] == [f"{item.text} (open)"]
    assert readiness.as_dict()["warnings"] == [
        {"type": "item", "id": str(item.pk), "text": f"{item.text} (open)"}
    ]


def test_a_failing_advisory_probe_warns_but_a_failing_blocking_probe_blocks(
    ready_release, environment
):
    advisory = probe_config(environment, "Docs site", severity="advisory")
    blocking = probe_config(environment, "Health endpoint")
    finished_run(
        ready_release,
        [(advisory, "fail", "status 502"), (blocking, "fail", "status 503")],
    )

    readiness = compute_readiness(ready_release)

    assert readiness.ready is False
    assert [b.text for b in readiness.blockers] == ["Health endpoint: status 503"]
    assert [w.text for w in readiness.warnings] == ["Docs site: status 502"]
    # Advisory probes are not counted; one blocking probe of one fails.
    assert readiness.probes_total == 1 and readiness.probes_passing == 0


def test_a_certificate_with_25_days_left_is_a_warning_not_a_blocker(
    ready_release, environment
):
    tls = probe_config(environment, "TLS certificate", kind="tls", target="shop.test")
    finished_run(ready_release, [(tls, "warn", "certificate expires in 25 days")])

    verdict = compute_readiness(ready_release).as_dict()

    assert verdict["ready"] is True
    assert verdict["blockers"] == []
    assert verdict["warnings"][0]["text"] == (
        "TLS certificate: certificate expires in 25 days"
    )


def test_an_approved_waiver_lists_the_probe_as_waived_and_the_gate_opens(
    ready_release, environment, lead, second_lead
):
    blocking = probe_config(environment, "Health endpoint")
    finished_run(ready_release, [(blocking, "fail", "status 503")])
    waiver = services.waiver_request(
        release=ready_release,
        blocker_type="probe",
        blocker_id=blocking.pk,
        reason="Known flake in the health check, fixed in 1.0.1",
        expires_at=timezone.now() + timedelta(hours=4),
        by=lead,
    )
    assert compute_readiness(ready_release).ready is False  # not yet approved

    services.waiver_approve(waiver=waiver, by=second_lead)
    verdict = compute_readiness(ready_release).as_dict()

    assert verdict["ready"] is True
    assert verdict["score"] == 100
    assert verdict["blockers"] == []
    assert [
        (w["text"], w["approved_by"], w["requested_by"]) for w in verdict["waivers"]
    ] == [("Health endpoint: status 503", second_lead.username, lead.username)]
    actions = list(
        AuditEvent.objects.filter(release_id=ready_release.pk)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["waiver.requested", "waiver.approved"]


def test_the_gate_endpoint_lists_waivers_warnings_and_freeze(
    release, lead, second_lead, engineer
):
    ready_release = release
    item = ready_but_one(release, lead)
    waiver = services.waiver_request(
        release=ready_release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Covered by the staging soak test",
        expires_at=timezone.now() + timedelta(days=1),
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)
    client = APIClient()
    client.force_authenticate(engineer)

    body = client.get(f"/api/v1/releases/{ready_release.pk}/readiness/").json()

    assert body["ready"] is True
    assert body["blockers"] == []
    assert body["warnings"] == []
    assert body["freeze"] is None
    assert [(w["type"], w["id"], w["reason"]) for w in body["waivers"]] == [
        ("item", str(item.pk), "Covered by the staging soak test")
    ]


def test_an_expired_waiver_blocks_again(release, lead, second_lead):
    ready_release = release
    item = ready_but_one(release, lead)
    expires = timezone.now() + timedelta(hours=1)
    waiver = services.waiver_request(
        release=ready_release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Vendor outage",
        expires_at=expires,
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)

    before = compute_readiness(ready_release, at=expires - timedelta(seconds=1))
    after = compute_readiness(ready_release, at=expires)

    assert before.ready is True
    assert after.ready is False
    assert after.waived == []
    assert after.blockers[0].type == "item"
    assert "waiver expired" in after.blockers[0].text


def test_a_requester_cannot_approve_their_own_waiver(ready_release, lead, engineer):
    item = ready_release.items.filter(phase="pre_deployment", kind="check").first()
    waiver = services.waiver_request(
        release=ready_release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="r",
        expires_at=timezone.now() + timedelta(hours=1),
        by=lead,
    )
    with pytest.raises(PermissionDenied):
        services.waiver_approve(waiver=waiver, by=lead)
    with pytest.raises(PermissionDenied):
        services.waiver_approve(waiver=waiver, by=engineer)  # not a lead
    with pytest.raises(PermissionDenied):
        services.waiver_request(
            release=ready_release,
            blocker_type="item",
            blocker_id=item.pk,
            reason="r",
            expires_at=timezone.now() + timedelta(hours=1),
            by=engineer,
        )


def test_a_one_off_freeze_blocks_only_while_it_lasts(ready_release, lead):
    start = datetime(2026, 12, 20, 0, 0, tzinfo=UTC)
    end = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)
    services.freeze_window_save(
        environment=ready_release.environment,
        by=lead,
        name="Holiday freeze",
        reason="Reduced staffing",
        starts_at=start,
        ends_at=end,
    )

    assert compute_readiness(ready_release, at=start - timedelta(seconds=1)).ready
    during = compute_readiness(ready_release, at=start)
    assert during.ready is False
    assert _types(during) == [
        (
            "freeze",
            "Freeze Holiday freeze until 2027-01-04T00:00:00+00:00: Reduced staffing",
        )
    ]
    assert during.as_dict()["freeze"]["exception"] is None
    assert compute_readiness(ready_release, at=end).ready is True


def test_a_weekly_freeze_follows_its_time_zone_and_ends_exclusively(
    ready_release, lead
):
    # Fridays 18:00 in Berlin for three days: the weekend freeze.
    services.freeze_window_save(
        environment=ready_release.environment,
        by=lead,
        name="Weekend",
        cron="0 18 * * fri",
        time_zone="Europe/Berlin",
        duration_minutes=3 * 24 * 60,
    )
    # 4 December 2026 is a Friday; Berlin is UTC+1 in winter.
    friday_18_berlin = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)

    def ready(at: datetime) -> bool:
        return compute_readiness(ready_release, at=at).ready

    assert ready(friday_18_berlin - timedelta(minutes=1)) is True
    assert ready(friday_18_berlin) is False
    assert ready(friday_18_berlin + timedelta(days=2, hours=23, minutes=59)) is False
    assert ready(friday_18_berlin + timedelta(days=3)) is True


def test_a_daily_freeze_crosses_midnight_and_survives_the_spring_forward_gap(
    ready_release, lead
):
    services.freeze_window_save(
        environment=ready_release.environment,
        by=lead,
        name="Nightly batch",
        cron="30 2 * * *",
        time_zone="Europe/Berlin",
        duration_minutes=60,
    )

    def frozen(at: datetime) -> bool:
        return compute_readiness(ready_release, at=at).freeze is not None

    # A winter night: 02:30 CET is 01:30 UTC.
    assert frozen(datetime(2026, 1, 15, 1, 29, tzinfo=UTC)) is False
    assert frozen(datetime(2026, 1, 15, 1, 30, tzinfo=UTC)) is True
    assert frozen(datetime(2026, 1, 15, 2, 30, tzinfo=UTC)) is False
    # 29 March 2026: 02:30 does not exist in Berlin; the start happens at
    # 01:30 UTC (03:30 CEST), the instant the winter offset gives.
    assert frozen(datetime(2026, 3, 29, 1, 29, tzinfo=UTC)) is False
    assert frozen(datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) is True
    # A summer night: 02:30 CEST is 00:30 UTC.
    assert frozen(datetime(2026, 7, 1, 0, 30, tzinfo=UTC)) is True
    assert frozen(datetime(2026, 7, 1, 1, 30, tzinfo=UTC)) is False


def test_a_freeze_window_of_another_environment_does_not_apply(ready_release, lead):
    from tests.factories import EnvironmentFactory

    other = EnvironmentFactory(service=ready_release.service, name="other-environment")
    services.freeze_window_save(
        environment=other,
        by=lead,
        name="Always",
        cron="* * * * *",
        duration_minutes=5,
    )
    assert compute_readiness(ready_release).ready is True


def test_an_emergency_exception_needs_two_distinct_approvers_to_lift_a_freeze(
    ready_release, lead, second_lead, third_lead
):
    now = timezone.now()
    services.freeze_window_save(
        environment=ready_release.environment,
        by=lead,
        name="Incident freeze",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )
    exception = services.emergency_exception_request(
        release=ready_release,
        reason="Security fix for CVE-2026-1234",
        expires_at=now + timedelta(hours=6),
        by=lead,
    )
    services.emergency_exception_approve(exception=exception, by=second_lead)
    with pytest.raises(PermissionDenied):
        services.emergency_exception_approve(exception=exception, by=second_lead)
    one = compute_readiness(ready_release)
    assert one.ready is False
    assert one.blockers[0].type == "freeze"

    services.emergency_exception_approve(exception=exception, by=third_lead)
    two = compute_readiness(ready_release)

    assert two.ready is True
    assert two.blockers == []
    assert two.freeze["name"] == "Incident freeze"
    assert two.freeze["exception"]["approved_by"] == [
        second_lead.username,
        third_lead.username,
    ]


def test_a_freeze_stops_a_release_from_becoming_ready(ready_release, lead):
    services.freeze_window_save(
        environment=ready_release.environment,
        by=lead,
        name="Always",
        cron="* * * * *",
        duration_minutes=5,
    )
    with pytest.raises(ValidationError, match="Freeze Always"):
        release_services.release_transition(
            release=ready_release, target="ready", by=lead
        )


@pytest.mark.parametrize(
    "cron, message",
    [
        ("0 18 * *", "five fields"),
        ("61 * * * *", "minute"),
        ("0 18 * * funday", "day of week"),
        ("0 18 5-1 * *", "backwards"),
        ("*/0 * * * *", "step"),
    ],
)
def test_a_bad_recurrence_is_refused_with_the_field_named(
    environment, lead, cron, message
):
    with pytest.raises(ValidationError, match=message):
        services.freeze_window_save(
            environment=environment,
            by=lead,
            name="Bad",
            cron=cron,
            duration_minutes=5,
        )


def test_an_unknown_time_zone_is_refused(environment, lead):
    with pytest.raises(ValidationError, match="Mars/Olympus"):
        services.freeze_window_save(
            environment=environment,
            by=lead,
            name="Bad",
            cron="0 0 * * *",
            time_zone="Mars/Olympus",
            duration_minutes=5,
        )


def test_an_item_blocked_by_an_advisory_probe_only_warns(release, lead, environment):
    item = ready_but_one(release, lead)
    docs = probe_config(environment, "Docs site", severity="advisory")
    run = finished_run(release, [(docs, "fail", "status 502")])
    ReleaseItem.objects.filter(pk=item.pk).update(
        state="blocked",
        note="Docs site: status 502",
        evidence_result_id=run.results.get().pk,
    )

    readiness = compute_readiness(release)

    assert readiness.ready is True
    assert sorted(w.type for w in readiness.warnings) == ["item", "probe"]


def test_waiving_a_probe_also_waives_the_item_it_blocked(
    release, lead, second_lead, environment
):
    item = ready_but_one(release, lead)
    health = probe_config(environment, "Health endpoint")
    run = finished_run(release, [(health, "fail", "status 503")])
    ReleaseItem.objects.filter(pk=item.pk).update(
        state="blocked",
        note="Health endpoint: status 503",
        evidence_result_id=run.results.get().pk,
    )
    waiver = services.waiver_request(
        release=release,
        blocker_type="probe",
        blocker_id=health.pk,
        reason="Upstream CDN incident, not ours",
        expires_at=timezone.now() + timedelta(hours=1),
        by=lead,
    )
    services.waiver_approve(waiver=waiver, by=second_lead)

    readiness = compute_readiness(release)

    assert readiness.ready is True
    assert sorted(w.blocker.type for w in readiness.waived) == ["item", "probe"]
    assert {w.waiver_id for w in readiness.waived} == {waiver.pk}
