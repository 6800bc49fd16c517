"""Probe evidence on checklist items: written by the releases service that people
use too (same guard, audit shape and announcements); only `pass` verifies, a
warning leaves the item open for a person to accept, a failure blocks it.

The headers probe runs for real against a loopback HTTP server that sends no
Content-Security-Policy and a cookie without Secure: a warning, not a pass.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail as outbox
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.probes import services
from apps.probes.models import ProbeResult, ProbeRun
from apps.readiness.readiness import compute_readiness
from apps.releases import services as releases
from apps.releases.models import Release, ReleaseItem
from tests.api.conftest import client_for
from tests.probes.conftest import add_result, configure

__all__ = ["client_for"]  # the API tests' fixture: a client with a real token
ITEM = "Configure security headers"


class _WeakHeaders(BaseHTTPRequestHandler):
    """A page with clickjacking and sniffing covered, but no CSP, no
    Referrer-Policy and a session cookie without Secure."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = b"<html><body>shop</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Set-Cookie", "session=abc; Path=/; HttpOnly")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def weak_headers_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WeakHeaders)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def _headers_probe(release, lead, target: str = "http://127.0.0.1:9/"):
    return configure(
        release.environment,
        lead,
        release.template,
        "Security headers",
        target,
        [ITEM],
        kind="headers",
    )


def _finished(release, lead, config, status: str, summary: str) -> ProbeRun:
    """A run of the release whose one probe found `status`, finished by the same
    service a worker's last batch calls."""
    run = services.probe_run_start(release=release, by=lead)
    add_result(run, config, status, summary)
    assert services.probe_run_finish_if_complete(run_id=run.pk) is True
    return run


def _item(release) -> ReleaseItem:
    return release.items.get(text=ITEM)


def test_a_headers_warning_leaves_the_item_open_with_the_warning_shown(
    release,
    lead,
    engineer,
    client,
    weak_headers_url,
    django_capture_on_commit_callbacks,
):
    _headers_probe(release, lead, weak_headers_url)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.probe_run_start(release=release, by=lead)
    result = ProbeResult.objects.get(run=run)
    assert result.status == "warn", result.summary
    assert "Content-Security-Policy missing" in result.summary

    item = _item(release)
    client.force_login(engineer)
    page = client.get(release.get_absolute_url()).text

    assert item.state == "open"
    assert "verified by probe" not in page
    assert item.note == f"Security headers: {result.summary}"
    assert item.evidence_status == "warn"
    assert item.evidence_result_id == result.pk
    blockers = [b.text for b in compute_readiness(release).blockers if b.type == "item"]
    assert f"{ITEM} (open: the probe warned, {item.note}; tick it to accept)" in (
        blockers
    )
    assert "probe warning</a>" in page
    assert "Ticking the item accepts it." in page


def test_ticking_a_warned_item_records_the_accepted_warning(release, lead, engineer):
    config = _headers_probe(release, lead)
    warning = "Cookie session lacks Secure; Observatory D+ (40)"
    _finished(release, lead, config, "warn", warning)

    releases.release_item_set_state(item=_item(release), state="done", by=engineer)

    item = _item(release)
    event = AuditEvent.objects.filter(action="release_item.state_changed").latest("seq")
    assert (item.state, item.changed_by) == ("done", engineer)
    assert item.accepted_warning == f"Security headers: {warning}"
    assert item.by_hand is True
    assert item.evidence_label == (
        f"ticked by hand, accepting the probe warning: Security headers: {warning}"
    )
    assert event.actor == engineer
    assert event.after["state"] == "done"
    assert event.after["accepted_warning"] == f"Security headers: {warning}"
    assert event.after["by_hand"] is True
    assert compute_readiness(release).items_settled >= 1


def test_an_accepted_warning_stands_until_the_probe_passes(release, lead, engineer):
    config = _headers_probe(release, lead)
    _finished(release, lead, config, "warn", "CSP missing")
    releases.release_item_set_state(item=_item(release), state="done", by=engineer)

    _finished(release, lead, config, "warn", "CSP missing")
    accepted = _item(release)
    run = _finished(release, lead, config, "pass", "security headers in order")
    verified = _item(release)

    assert (accepted.state, accepted.changed_by) == ("done", engineer)
    assert accepted.accepted_warning == "Security headers: CSP missing"
    assert (verified.state, verified.changed_by) == ("done", None)
    assert verified.evidence_result_id == run.results.get().pk
    assert (verified.by_hand, verified.accepted_warning) == (False, "")
    assert verified.evidence_label == "verified by probe"


def test_a_failing_probe_blocks_through_the_item_service_and_is_announced(
    release, lead, django_capture_on_commit_callbacks
):
    config = _headers_probe(release, lead)
    with django_capture_on_commit_callbacks(execute=True):
        run = _finished(release, lead, config, "fail", "HSTS missing")

    item = _item(release)
    event = AuditEvent.objects.get(
        action="release_item.state_changed", target_id=str(item.pk)
    )
    assert (item.state, item.note) == ("blocked", "Security headers: HSTS missing")
    assert (event.actor, event.actor_label) == (None, f"probe run #{run.pk}")
    assert event.before == {
        "text": ITEM,
        "state": "open",
        "note": "",
        "evidence_result": None,
        "evidence_status": "",
    }
    assert event.after == {
        "state": "blocked",
        "note": "Security headers: HSTS missing",
        "evidence_result": run.results.get().pk,
        "evidence_status": "fail",
    }
    subjects = {message.subject for message in outbox.outbox}
    assert len(subjects) == 1
    subject = subjects.pop()
    assert subject.startswith("Blocked: ") and subject.endswith(f": {ITEM}")


def test_a_persons_override_of_a_probe_blocked_item_is_not_shown_as_probe_proof(
    release, lead, engineer, client
):
    config = _headers_probe(release, lead)
    _finished(release, lead, config, "fail", "HSTS missing")

    releases.release_item_set_state(item=_item(release), state="done", by=engineer)

    item = _item(release)
    client.force_login(engineer)
    row = client.get(
        reverse("releases:item", args=[item.pk]), HTTP_HX_REQUEST="true"
    ).text
    assert "verified by probe" not in row
    assert "ticked by hand, not by probe" in row
    assert (item.state, item.evidence_result_id, item.evidence_status) == (
        "done",
        None,
        "",
    )


def test_ticking_a_probe_linked_item_by_hand_says_so(release, lead, engineer, client):
    _headers_probe(release, lead)
    other = release.items.get(text="Review CORS settings")

    releases.release_item_set_state(item=_item(release), state="done", by=engineer)
    releases.release_item_set_state(item=other, state="done", by=engineer)

    item = _item(release)
    event = AuditEvent.objects.get(
        action="release_item.state_changed", target_id=str(item.pk)
    )
    client.force_login(engineer)
    page = client.get(release.get_absolute_url()).text
    record = client.get(reverse("records:record-json", args=[release.pk]))
    assert page.count("ticked by hand, not by probe") == 1
    assert item.by_hand is True
    assert ReleaseItem.objects.get(pk=other.pk).by_hand is False
    assert event.after == {"state": "done", "by_hand": True}
    checklist = {e["text"]: e for e in json.loads(record.content)["checklist"]}
    assert checklist[ITEM]["evidence"] == "ticked by hand, not by probe"
    assert checklist["Review CORS settings"]["evidence"] == ""


def test_the_api_says_which_items_may_still_change(client_for, engineer, lead, release):
    releases.release_transition(
        release=release,
        target=Release.Status.DEPLOYED,
        by=lead,
        override=True,
        reason="Hotfix for an outage",
    )

    items = client_for(engineer).get(f"/api/v1/releases/{release.pk}/items/").json()

    editable = {(i["phase"], i["gates_readiness"], i["editable"]) for i in items}
    assert ("pre_deployment", True, False) in editable
    assert ("post_deployment", False, True) in editable
