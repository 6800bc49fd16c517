"""The policy in the browser: waivers and emergency exceptions from the release
page, freeze windows per environment; who may do what, and what is recorded."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.policy import services
from apps.policy.models import EmergencyException, FreezeWindow, Waiver

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _later(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def _check(release):
    return release.items.filter(phase="pre_deployment", kind="check").first()


def _waiver(release, by, **fields):
    return services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=_check(release).pk,
        reason=fields.pop("reason", "Checked by hand in staging"),
        expires_at=timezone.now() + timedelta(days=2),
        by=by,
    )


def _freeze_now(environment, lead, name="Incident freeze"):
    now = timezone.now()
    return services.freeze_window_save(
        environment=environment,
        by=lead,
        name=name,
        reason="Payments incident",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )


# Waivers -------------------------------------------------------------------------


def test_a_lead_requests_a_waiver_of_a_blocker_from_the_release_page(
    client, release, lead
):
    item = _check(release)
    client.force_login(lead)
    page = client.get(release.get_absolute_url()).text
    url = reverse("policy:waiver-request", args=[release.pk])
    form = client.get(url, {"blocker": f"item:{item.pk}"}).text

    response = client.post(
        url,
        {
            "blocker": f"item:{item.pk}",
            "reason": "Backups verified by hand",
            "expires_at": _later(days=3),
        },
    )

    assert "Request a waiver…" in page
    assert f'value="item:{item.pk}"' in form
    assert f'value="item:{item.pk}"\n' not in form
    assert "checked" in form.split(f'value="item:{item.pk}"')[1].split(">")[0]
    assert response.status_code == 302
    assert response["Location"] == f"{release.get_absolute_url()}#policy"
    waiver = Waiver.objects.get(release=release)
    assert (waiver.blocker_type, waiver.blocker_id) == ("item", str(item.pk))
    assert waiver.reason == "Backups verified by hand"
    assert waiver.requested_by == lead and waiver.approved_by is None
    assert AuditEvent.objects.filter(action="waiver.requested").count() == 1
    shown = client.get(release.get_absolute_url()).text
    assert f'id="waiver-{waiver.pk}"' in shown
    assert "Pending" in shown
    # Its requester may withdraw it, not approve it.
    assert reverse("policy:waiver-approve", args=[waiver.pk]) not in shown
    assert reverse("policy:waiver-decline", args=[waiver.pk]) in shown
    assert "Withdraw" in shown


def test_a_waiver_longer_than_30_days_or_without_a_reason_is_refused(
    client, release, lead
):
    item = _check(release)
    client.force_login(lead)
    url = reverse("policy:waiver-request", args=[release.pk])

    too_long = client.post(
        url,
        {"blocker": f"item:{item.pk}", "reason": "r", "expires_at": _later(days=31)},
    )
    no_reason = client.post(
        url, {"blocker": f"item:{item.pk}", "reason": "", "expires_at": _later(days=1)}
    )

    assert too_long.status_code == 200
    assert "Expire within 30 days of now." in too_long.text
    assert no_reason.status_code == 200
    assert "Say why this blocker may be let through." in no_reason.text
    assert Waiver.objects.count() == 0


def test_a_blocker_with_a_waiver_pending_is_not_offered_again(client, release, lead):
    item = _check(release)
    _waiver(release, lead)
    client.force_login(lead)

    form = client.get(reverse("policy:waiver-request", args=[release.pk])).text

    assert f'value="item:{item.pk}"' not in form
    with pytest.raises(Exception, match="already has a waiver"):
        _waiver(release, lead)


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_engineers_and_auditors_cannot_request_waivers(client, release, role, team):
    from tests import factories

    client.force_login(factories.member(team, role))
    url = reverse("policy:waiver-request", args=[release.pk])
    item = _check(release)

    page = client.get(release.get_absolute_url()).text
    shown = client.get(url)
    posted = client.post(
        url, {"blocker": f"item:{item.pk}", "reason": "r", "expires_at": _later(days=1)}
    )

    assert "Request a waiver…" not in page
    assert shown.status_code == 403
    assert posted.status_code == 403
    assert Waiver.objects.count() == 0


def test_another_teams_lead_cannot_see_or_approve_a_waiver(
    client, release, lead, outsider
):
    waiver = _waiver(release, lead)
    client.force_login(outsider)

    form = client.get(reverse("policy:waiver-request", args=[release.pk]))
    approve = client.post(reverse("policy:waiver-approve", args=[waiver.pk]))

    assert form.status_code == 404
    assert approve.status_code == 404
    waiver.refresh_from_db()
    assert waiver.approved_by is None


def test_another_lead_approves_and_the_waived_blocker_says_who_and_until_when(
    client, release, lead, second_lead
):
    waiver = _waiver(release, lead)
    client.force_login(second_lead)
    page = client.get(release.get_absolute_url()).text

    response = client.post(reverse("policy:waiver-approve", args=[waiver.pk]))
    after = client.get(response["Location"]).text

    assert reverse("policy:waiver-approve", args=[waiver.pk]) in page
    assert response.status_code == 302
    waiver.refresh_from_db()
    assert waiver.approved_by == second_lead
    assert "approved." in after
    assert "1 waived blocker" in after
    assert f"asked by {lead.username}, waived by {second_lead.username}" in after
    assert AuditEvent.objects.filter(action="waiver.approved").count() == 1


def test_the_requester_cannot_approve_their_own_waiver_in_the_page(
    client, release, lead
):
    waiver = _waiver(release, lead)
    client.force_login(lead)

    response = client.post(
        reverse("policy:waiver-approve", args=[waiver.pk]), follow=True
    )

    assert response.status_code == 200
    assert "Not approved: Someone other than the requester must approve." in (
        response.text
    )
    waiver.refresh_from_db()
    assert waiver.approved_by is None


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_engineers_and_auditors_cannot_approve_or_decline(
    client, release, lead, team, role
):
    from tests import factories

    waiver = _waiver(release, lead)
    client.force_login(factories.member(team, role))

    approve = client.post(reverse("policy:waiver-approve", args=[waiver.pk]))
    decline = client.post(reverse("policy:waiver-decline", args=[waiver.pk]))

    assert (approve.status_code, decline.status_code) == (403, 403)
    waiver.refresh_from_db()
    assert waiver.approved_by is None and waiver.declined_by is None


def test_another_lead_declines_a_waiver_which_then_never_counts(
    client, release, lead, second_lead, third_lead
):
    waiver = _waiver(release, lead)
    client.force_login(second_lead)

    response = client.post(
        reverse("policy:waiver-decline", args=[waiver.pk]), follow=True
    )
    late = client.post(reverse("policy:waiver-approve", args=[waiver.pk]), follow=True)

    waiver.refresh_from_db()
    assert waiver.declined_by == second_lead
    assert waiver.approved_by is None
    assert "declined." in response.text
    assert f"declined by {second_lead.username}" in response.text
    assert "This waiver was declined; request a new one." in late.text
    event = AuditEvent.objects.get(action="waiver.declined")
    assert event.actor == second_lead
    # A declined waiver frees its blocker for a new request.
    assert _waiver(release, lead).pk != waiver.pk


def test_an_approved_waiver_cannot_be_declined(release, lead, second_lead):
    from django.core.exceptions import ValidationError

    waiver = _waiver(release, lead)
    services.waiver_approve(waiver=waiver, by=second_lead)

    with pytest.raises(ValidationError, match="already approved"):
        services.waiver_decline(waiver=waiver, by=second_lead)


def test_a_waiver_is_declined_and_freezes_are_changed_over_the_api(
    client_for, release, environment, lead, second_lead, engineer
):
    waiver = _waiver(release, lead)
    window = _freeze_now(environment, lead)

    refused = client_for(engineer).post(f"/api/v1/waivers/{waiver.pk}/decline/")
    declined = client_for(second_lead).post(f"/api/v1/waivers/{waiver.pk}/decline/")
    changed = client_for(lead).put(
        f"/api/v1/freeze-windows/{window.pk}/",
        {"name": "Weekends", "cron": "0 18 * * fri", "duration_minutes": 60 * 62},
        format="json",
    )
    engineer_delete = client_for(engineer).delete(
        f"/api/v1/freeze-windows/{window.pk}/"
    )
    deleted = client_for(lead).delete(f"/api/v1/freeze-windows/{window.pk}/")

    assert refused.status_code == 403
    assert declined.status_code == 200
    assert declined.json()["declined_by"] == second_lead.username
    assert changed.status_code == 200, changed.json()
    assert changed.json()["cron"] == "0 18 * * fri"
    assert changed.json()["starts_at"] is None
    assert engineer_delete.status_code == 403
    assert deleted.status_code == 204
    assert not FreezeWindow.objects.exists()


# Emergency exceptions -------------------------------------------------------------


def test_two_other_leads_approve_an_emergency_exception_in_the_page(
    client, ready_release, environment, lead, second_lead, third_lead
):
    _freeze_now(environment, lead)
    client.force_login(lead)
    frozen = client.get(ready_release.get_absolute_url()).text
    url = reverse("policy:exception-request", args=[ready_release.pk])

    requested = client.post(
        url, {"reason": "Security fix for CVE-2026-1", "expires_at": _later(hours=6)}
    )
    exception = EmergencyException.objects.get()
    approve = reverse("policy:exception-approve", args=[exception.pk])
    own_page = client.get(ready_release.get_absolute_url()).text
    own = client.post(approve, follow=True)
    client.force_login(second_lead)
    first = client.post(approve, follow=True)
    again = client.post(approve, follow=True)
    client.force_login(third_lead)
    second = client.post(approve, follow=True)

    assert "Freeze <strong>Incident freeze</strong>" in frozen
    assert "Request an emergency exception…" in frozen
    assert requested.status_code == 302
    assert approve not in own_page
    assert "Someone other than the requester must approve." in own.text
    assert "approvals 1/2" in first.text
    assert "Approval recorded: one more lead approves." in first.text
    assert "A second, different person must approve." in again.text
    assert "Emergency exception approved by two leads." in second.text
    assert (
        f"emergency exception approved by {second_lead.username} and "
        f"{third_lead.username}" in second.text
    )
    assert "Ready to deploy" in second.text
    assert AuditEvent.objects.filter(action="emergency_exception.approved").count() == 2


def test_engineers_cannot_ask_for_or_approve_an_emergency_exception(
    client, release, environment, lead, engineer
):
    _freeze_now(environment, lead)
    exception = services.emergency_exception_request(
        release=release,
        reason="Hotfix",
        expires_at=timezone.now() + timedelta(hours=2),
        by=lead,
    )
    client.force_login(engineer)

    page = client.get(release.get_absolute_url()).text
    ask = client.get(reverse("policy:exception-request", args=[release.pk]))
    approve = client.post(reverse("policy:exception-approve", args=[exception.pk]))

    assert "Request an emergency exception…" not in page
    assert "Approve the emergency exception" not in page
    assert (ask.status_code, approve.status_code) == (403, 403)


def test_an_exception_longer_than_two_days_is_refused(client, release, lead):
    client.force_login(lead)

    response = client.post(
        reverse("policy:exception-request", args=[release.pk]),
        {"reason": "Hotfix", "expires_at": _later(days=3)},
    )

    assert response.status_code == 200
    assert "Expire within 2 days of now." in response.text
    assert not EmergencyException.objects.exists()


# Freeze windows -------------------------------------------------------------------


def test_every_member_sees_the_freeze_windows_and_only_leads_change_them(
    client, environment, lead, engineer, outsider
):
    _freeze_now(environment, lead)
    url = reverse("policy:freezes", args=[environment.pk])
    client.force_login(engineer)
    as_engineer = client.get(url)
    new = client.get(reverse("policy:freeze-new", args=[environment.pk]))
    client.force_login(lead)
    as_lead = client.get(url).text
    client.force_login(outsider)
    as_outsider = client.get(url)

    assert as_engineer.status_code == 200
    assert "Incident freeze" in as_engineer.text
    assert "In effect" in as_engineer.text
    assert "Add a freeze window" not in as_engineer.text
    assert new.status_code == 403
    assert "Add a freeze window" in as_lead
    assert as_outsider.status_code == 404


def test_the_environment_pages_link_to_their_freeze_windows(client, environment, lead):
    client.force_login(lead)
    url = reverse("policy:freezes", args=[environment.pk])

    listing = client.get(reverse("catalog:environments")).text
    detail = client.get(reverse("catalog:environment", args=[environment.pk])).text

    assert f'href="{url}"' in listing
    assert f'href="{url}"' in detail


def test_a_lead_previews_the_next_five_occurrences_before_saving(
    client, environment, lead
):
    client.force_login(lead)
    url = reverse("policy:freeze-new", args=[environment.pk])
    fields = {
        "name": "Friday evenings",
        "repeats": "recurring",
        "cron": "0 18 * * fri",
        "time_zone": "Europe/Berlin",
        "duration_minutes": "120",
    }

    preview = client.post(url, {**fields, "preview": "1"})
    live = client.get(
        reverse("policy:freeze-preview", args=[environment.pk]), fields, **HTMX
    )

    assert preview.status_code == 200
    assert not FreezeWindow.objects.exists()
    for text in (preview.text, live.text):
        occurrences = text.split('<ol class="occurrences">')[1].split("</ol>")[0]
        assert occurrences.count("<li>") == 5
        assert occurrences.count("Fri ") == 5  # each starts on a Friday
        assert "18:00" in occurrences and "20:00" in occurrences
        assert "Times in Europe/Berlin." in text
    assert "<html" not in live.text


def test_a_preview_of_a_bad_cron_says_what_is_wrong(client, environment, lead):
    client.force_login(lead)

    live = client.get(
        reverse("policy:freeze-preview", args=[environment.pk]),
        {
            "name": "x",
            "repeats": "recurring",
            "cron": "0 18 * *",
            "duration_minutes": 5,
        },
        **HTMX,
    )

    assert "use five fields" in live.text


def test_a_lead_creates_edits_and_deletes_a_freeze_window(client, environment, lead):
    client.force_login(lead)
    new = reverse("policy:freeze-new", args=[environment.pk])

    created = client.post(
        new,
        {
            "name": "Black Friday",
            "reason": "Peak traffic",
            "repeats": "one_off",
            "starts_at": "2030-11-29T00:00",
            "ends_at": "2030-12-02T00:00",
        },
    )
    window = FreezeWindow.objects.get()
    edited = client.post(
        reverse("policy:freeze-edit", args=[window.pk]),
        {
            "name": "Weekends",
            "repeats": "recurring",
            "cron": "0 18 * * fri",
            "time_zone": "Europe/Berlin",
            "duration_minutes": "3720",
            # a leftover one-off start is ignored for a recurring window
            "starts_at": "2030-11-29T00:00",
        },
    )
    window.refresh_from_db()
    listing = client.get(reverse("policy:freezes", args=[environment.pk])).text
    confirm = client.get(reverse("policy:freeze-delete", args=[window.pk]))
    deleted = client.post(reverse("policy:freeze-delete", args=[window.pk]))

    assert created.status_code == 302
    assert edited.status_code == 302
    assert (window.name, window.cron, window.starts_at) == (
        "Weekends",
        "0 18 * * fri",
        None,
    )
    assert "<code>0 18 * * fri</code> in Europe/Berlin" in listing
    assert "Delete the freeze window Weekends?" in confirm.text
    assert deleted.status_code == 302
    assert not FreezeWindow.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="freeze_window.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "freeze_window.created",
        "freeze_window.changed",
        "freeze_window.deleted",
    ]


def test_a_freeze_without_an_end_is_refused_with_a_message(client, environment, lead):
    client.force_login(lead)

    response = client.post(
        reverse("policy:freeze-new", args=[environment.pk]),
        {"name": "Open-ended", "repeats": "one_off", "starts_at": "2030-01-01T00:00"},
    )

    assert response.status_code == 200
    assert "Give a start and a later end, or a cron recurrence." in response.text
    assert not FreezeWindow.objects.exists()


@pytest.mark.parametrize("role", ["engineer", "auditor"])
def test_engineers_and_auditors_cannot_change_freeze_windows(
    client, environment, lead, team, role
):
    from tests import factories

    window = _freeze_now(environment, lead)
    client.force_login(factories.member(team, role))

    edit = client.post(
        reverse("policy:freeze-edit", args=[window.pk]),
        {"name": "Mine", "repeats": "one_off"},
    )
    delete = client.post(reverse("policy:freeze-delete", args=[window.pk]))

    assert (edit.status_code, delete.status_code) == (403, 403)
    assert FreezeWindow.objects.get().name == "Incident freeze"


def test_a_blocked_item_and_the_blocker_list_lead_a_lead_to_the_waiver_form(
    client, release, lead, engineer
):
    from apps.releases import services as release_services

    item = _check(release)
    release_services.release_item_set_state(
        item=item, state="blocked", note="Backup job failing", by=engineer
    )
    form = reverse("policy:waiver-request", args=[release.pk])
    client.force_login(engineer)
    as_engineer = client.get(release.get_absolute_url()).text
    client.force_login(lead)
    as_lead = client.get(release.get_absolute_url()).text

    assert f"{form}?blocker=item:{item.pk}" in as_lead
    assert f'Request a waiver<span class="visually-hidden"> of {item.text}' in as_lead
    assert "Request a waiver of a blocker…" in as_lead
    assert form not in as_engineer


def test_a_sign_off_role_is_waived_from_the_page_and_counts_as_approved(
    client, ready_release, lead, second_lead
):
    from apps.readiness.readiness import compute_readiness
    from apps.signoffs.models import SignOff

    role = ready_release.signoff_roles[0]
    SignOff.objects.filter(release=ready_release, role_key=role["key"]).delete()
    assert compute_readiness(ready_release).ready is False
    client.force_login(lead)
    url = reverse("policy:waiver-request", args=[ready_release.pk])
    form = client.get(url).text

    client.post(
        url,
        {
            "blocker": f"signoff:{role['key']}",
            "reason": "The security lead is on leave; reviewed by the CTO",
            "expires_at": _later(days=1),
        },
    )
    waiver = Waiver.objects.get()
    services.waiver_approve(waiver=waiver, by=second_lead)
    readiness = compute_readiness(ready_release)

    assert f"{role['name']} sign-off (no sign-off yet)" in form
    assert (waiver.blocker_type, waiver.blocker_id) == ("signoff", role["key"])
    assert waiver.label == f"{role['name']} sign-off"
    assert readiness.ready is True
    assert [w.blocker.type for w in readiness.waived] == ["signoff"]
    assert readiness.roles_approved == readiness.roles_total


def test_an_unknown_sign_off_role_cannot_be_waived(release, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Not a sign-off role of this release"):
        services.waiver_request(
            release=release,
            blocker_type="signoff",
            blocker_id="nobody",
            reason="r",
            expires_at=timezone.now() + timedelta(days=1),
            by=lead,
        )
