"""Redis stops: the app keeps working, says what is down, and recovers by itself.

Each test stops its own private redis-server (tests.core.private_redis), which
serves as cache and broker the way REDIS_URL configures them.
"""

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts import tokens
from apps.probes import services as probes
from apps.probes.models import ProbeRun
from apps.releases import services as release_services
from apps.releases.models import ReleaseItem
from apps.signoffs.models import SignOff
from tests.resilience.conftest import client_for

pytestmark = pytest.mark.fault


@pytest.fixture
def probed_release(release, lead, target_url):
    probes.probe_config_save(
        environment=release.environment,
        by=lead,
        name="Health",
        kind="http",
        target=f"{target_url}/ok",
    )
    return release


def sign_in(user) -> Client:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": user.username, "password": "pw-for-tests"}
    )
    assert response.status_code == 302, response.content[:300]
    return client


def test_pages_sign_in_ticks_and_sign_offs_work_while_redis_is_down(
    redis_everywhere, probed_release, engineer, lead
):
    release = probed_release
    redis_everywhere.stop()

    browser = sign_in(engineer)
    assert browser.get("/").status_code == 200
    page = browser.get(release.get_absolute_url())
    assert page.status_code == 200
    item = release.items.filter(state=ReleaseItem.State.OPEN).first()
    ticked = browser.post(
        f"/items/{item.pk}/state/", {"state": "done"}, headers={"HX-Request": "true"}
    )
    assert ticked.status_code == 200
    item.refresh_from_db()
    assert item.state == ReleaseItem.State.DONE
    role = release.signoff_roles[0]["key"]
    signed = browser.post(
        f"/releases/{release.pk}/signoffs/",
        {"role_key": role, "decision": "approve", "comment": "", "confirm": "1"},
    )
    assert signed.status_code == 302
    assert SignOff.objects.filter(release=release, role_key=role).count() == 1
    assert sign_in(lead).get("/api/v1/releases/").status_code == 200


def test_ready_is_503_naming_redis_while_it_is_down_and_recovers_when_it_returns(
    db, client, redis_everywhere
):
    # No worker here (/ready/ pings real ones): see test_worker_redis_outage.py
    # for a worker riding out an outage, /ready/ 200 again afterwards.
    assert client.get("/ready/").json()["down"] == ["workers"]

    redis_everywhere.stop()
    response = client.get("/ready/")

    assert response.status_code == 503
    body = response.json()
    assert {"cache", "broker"} <= set(body["down"])
    assert "Redis unavailable" in body["checks"]["cache"]["detail"]
    assert body["checks"]["database"]["status"] == "ok"

    redis_everywhere.start()  # same port, no restart of the app
    assert client.get("/ready/").json()["down"] == ["workers"]


def test_a_run_started_while_redis_is_down_says_so_and_is_sent_when_it_returns(
    transactional_db, redis_everywhere, probed_release, lead
):
    # Committed for real, so the dispatch runs before the panel is drawn.
    release = probed_release
    browser = client_for(lead)
    redis_everywhere.stop()

    panel = browser.post(
        f"/releases/{release.pk}/probes/run/", headers={"HX-Request": "true"}
    )

    assert panel.status_code == 200
    assert b"The task queue is unavailable" in panel.content
    run = ProbeRun.objects.get(release=release)
    # Nothing half-done: one whole run, queued, no results, never dispatched.
    assert (run.status, run.results.count(), run.dispatched_at) == ("queued", 0, None)

    redis_everywhere.start()
    # What the sweeper does for a run left queued: send it now that Redis is back.
    assert probes.probe_run_dispatch(run.pk) is True
    run.refresh_from_db()
    assert run.note == ""
    assert run.dispatched_at is not None
    assert redis_everywhere.client().llen("probes") == 1
    # And a new run goes straight to the queue, without restarting anything.
    browser.post(f"/releases/{release.pk}/probes/run/")
    assert redis_everywhere.client().llen("probes") == 2


def test_a_hung_redis_costs_one_timeout_per_window_not_one_per_call(
    db, settings, private_redis
):
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
            "RETRY_AFTER_SECONDS": 30,
        }
    }
    cache.set("k", "v")
    private_redis.process.send_signal(19)  # SIGSTOP: accepts, never answers
    try:
        started = time.monotonic()
        results = [cache.get("k", "miss") for _ in range(20)]
        took = time.monotonic() - started
    finally:
        private_redis.process.send_signal(18)  # SIGCONT
    assert results == ["miss"] * 20
    assert took < 1.5  # one 0.5 s timeout, then misses without waiting


def test_a_polled_readiness_answer_follows_a_tick_while_redis_is_down_and_after(
    redis_everywhere, release, engineer, django_capture_on_commit_callbacks
):
    """The revision a poll is answered by comes from its mirror in Redis
    (apps.releases.revisions): while Redis is down it is read from the
    database, and once Redis is back the mirror follows writes again."""
    _token, secret = tokens.token_create(
        user=engineer, name="pipeline", expires_at=None
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/releases/{release.pk}/readiness/"
    before = client.get(url).json()["score"]

    redis_everywhere.stop()
    open_items = release.items.filter(
        phase="pre_deployment", kind="check", required=True, state="open"
    )
    with django_capture_on_commit_callbacks(execute=True):
        release_services.release_item_set_state(
            item=open_items[0], state="done", by=engineer
        )
    during = client.get(url)
    redis_everywhere.start()  # empty, as a restarted Redis is
    with django_capture_on_commit_callbacks(execute=True):
        release_services.release_item_set_state(
            item=open_items[1], state="done", by=engineer
        )
    after = client.get(url).json()["score"]

    assert during.status_code == 200
    assert before < during.json()["score"] < after
