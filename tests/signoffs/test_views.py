"""The sign-off panel: a confirmation step, then the decision; roles enforced."""

from django.urls import reverse

from apps.signoffs.models import SignOff

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(release) -> str:
    return reverse("signoffs:record", args=[release.pk])


def test_approve_asks_for_confirmation_first(client, engineer, release):
    client.force_login(engineer)
    response = client.post(
        _url(release), {"role_key": "operations", "decision": "approve"}, **HTMX
    )
    assert response.status_code == 200
    assert "Confirm approval" in response.text
    assert "as Operations?" in response.text
    assert not SignOff.objects.exists()


def test_confirmed_approval_is_recorded_and_readiness_updates(
    client, engineer, release
):
    client.force_login(engineer)
    response = client.post(
        _url(release),
        {"role_key": "operations", "decision": "approve", "confirm": "on"},
        **HTMX,
    )
    assert response.status_code == 200
    signoff = SignOff.objects.get()
    assert (signoff.user, signoff.decision) == (engineer, "approve")
    assert "You approved as Operations." in response.text
    assert 'id="readiness-bar"' in response.text
    assert "1/6" in response.text


def test_reject_without_comment_is_refused_before_confirmation(
    client, engineer, release
):
    client.force_login(engineer)
    response = client.post(
        _url(release), {"role_key": "support", "decision": "reject"}, **HTMX
    )
    assert "Say why you reject this release." in response.text
    assert "Confirm rejection" not in response.text
    assert not SignOff.objects.exists()


def test_service_rules_show_in_the_panel(client, engineer, release):
    client.force_login(engineer)
    for role in ("operations", "support"):
        response = client.post(
            _url(release),
            {"role_key": role, "decision": "approve", "confirm": "on"},
            **HTMX,
        )
    assert "You already approved as Operations" in response.text
    assert SignOff.objects.count() == 1


def test_auditor_cannot_sign_off(client, auditor, release):
    client.force_login(auditor)
    response = client.post(
        _url(release),
        {"role_key": "operations", "decision": "approve", "confirm": "on"},
        **HTMX,
    )
    assert response.status_code == 403
    assert not SignOff.objects.exists()


def test_another_team_cannot_sign_off(client, outsider, release):
    client.force_login(outsider)
    response = client.post(
        _url(release), {"role_key": "operations", "decision": "approve"}
    )
    assert response.status_code == 404


def test_without_javascript_the_confirmation_is_a_page_then_a_redirect(
    client, engineer, release
):
    client.force_login(engineer)
    page = client.post(_url(release), {"role_key": "support", "decision": "approve"})
    assert page.status_code == 200
    assert "<html" in page.text and "Confirm approval" in page.text
    done = client.post(
        _url(release), {"role_key": "support", "decision": "approve", "confirm": "on"}
    )
    assert done.status_code == 302
    assert SignOff.objects.filter(role_key="support").exists()
