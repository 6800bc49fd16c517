"""The readiness answer and the release list are served from the cache: never
stale after a change, never another caller's, 304 when nothing changed."""

import time

from apps.catalog.models import Service
from apps.releases import services
from apps.releases.models import ReleaseItem
from apps.signoffs import services as signoff_services
from tests import factories


def _open_items(release) -> list[ReleaseItem]:
    return list(
        release.items.filter(
            phase="pre_deployment", kind="check", required=True, state="open"
        )
    )


def _readiness(client, release):
    return client.get(f"/api/v1/releases/{release.pk}/readiness/")


def test_readiness_follows_every_tick_and_sign_off(client_for, engineer, lead, release):
    client = client_for(engineer)
    first = _readiness(client, release).json()
    assert _readiness(client, release).json() == first  # from the cache

    for item in _open_items(release):
        services.release_item_set_state(item=item, state="done", by=engineer)
    ticked = _readiness(client, release).json()
    assert ticked["score"] > first["score"]
    assert not [b for b in ticked["blockers"] if b["type"] == "item"]

    role = release.signoff_roles[0]
    signoff_services.signoff_record(
        release=release, role_key=role["key"], decision="approve", by=lead
    )
    signed = _readiness(client, release).json()
    assert role["key"] not in {b["id"] for b in signed["blockers"]}
    assert len(signed["blockers"]) == len(ticked["blockers"]) - 1


def test_unchanged_readiness_answers_304_and_a_change_ends_it(
    client_for, engineer, release
):
    client = client_for(engineer)
    first = _readiness(client, release)
    etag = first["ETag"]
    unchanged = client.get(
        f"/api/v1/releases/{release.pk}/readiness/", HTTP_IF_NONE_MATCH=etag
    )
    assert unchanged.status_code == 304
    assert unchanged.content == b""

    services.release_item_set_state(
        item=_open_items(release)[0], state="done", by=engineer
    )
    changed = client.get(
        f"/api/v1/releases/{release.pk}/readiness/", HTTP_IF_NONE_MATCH=etag
    )
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["score"] > first.json()["score"]


def test_another_teams_release_stays_a_404_once_its_readiness_is_cached(
    client_for, engineer, outsider, release
):
    assert _readiness(client_for(engineer), release).status_code == 200
    assert _readiness(client_for(outsider), release).status_code == 404


def _listed(client, **params) -> dict[int, dict]:
    response = client.get("/api/v1/releases/", params)
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["results"]}


def test_the_release_list_shows_a_new_release_and_a_change_at_once(
    client_for, engineer, lead, release, environment, template
):
    client = client_for(engineer)
    assert set(_listed(client)) == {release.pk}

    newer = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="1.1.0",
        by=lead,
    )
    assert set(_listed(client)) == {release.pk, newer.pk}

    services.release_update(release=release, by=lead, notes="Moved to Tuesday.")
    assert _listed(client)[release.pk]["notes"] == "Moved to Tuesday."

    Service.objects.filter(pk=environment.service_id).update(name="Renamed API")
    service = Service.objects.get(pk=environment.service_id)
    service.save()  # as the admin does: the row's updated_at moves
    assert _listed(client)[release.pk]["service_name"] == "Renamed API"


def test_each_caller_gets_their_own_teams_list_from_the_cache(
    client_for, engineer, outsider, release, template
):
    assert set(_listed(client_for(engineer))) == {release.pk}
    assert _listed(client_for(outsider)) == {}

    their_team = outsider.memberships.get().team
    environment = factories.EnvironmentFactory(service__team=their_team)
    theirs = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="9.9.9",
        by=outsider,
    )
    assert set(_listed(client_for(outsider))) == {theirs.pk}
    assert set(_listed(client_for(engineer))) == {release.pk}


def test_filters_and_pages_are_cached_apart(client_for, engineer, release, lead):
    client = client_for(engineer)
    assert set(_listed(client, status=release.status)) == {release.pk}
    assert _listed(client, status="deployed") == {}
    page = client.get("/api/v1/releases/", {"page_size": 1, "page": 2})
    assert page.status_code == 404


def test_an_unchanged_list_answers_304_and_a_change_ends_it(
    client_for, engineer, lead, release
):
    client = client_for(engineer)
    etag = client.get("/api/v1/releases/")["ETag"]
    assert client.get("/api/v1/releases/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    services.release_item_set_state(
        item=_open_items(release)[0], state="done", by=engineer
    )
    changed = client.get("/api/v1/releases/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_freeze_that_begins_without_a_write_shows_when_the_minute_moves(
    client_for, engineer, lead, release, monkeypatch
):
    """No write marks a freeze's start: the cached answer holds for the minute
    it was built in (docs/api.md: answers refresh every minute), and the next
    minute's answer has the freeze."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.core import caching
    from apps.policy import services as policy

    client = client_for(engineer)
    starts_at = timezone.now() + timedelta(seconds=1)
    policy.freeze_window_save(
        environment=release.environment,
        by=lead,
        name="Release train",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )
    before = _readiness(client, release)
    assert "freeze" not in {b["type"] for b in before.json()["blockers"]}
    time.sleep(max(0.0, (starts_at - timezone.now()).total_seconds() + 0.05))

    same_minute = _readiness(client, release)
    minute = caching.clock_bucket()
    monkeypatch.setattr(caching, "clock_bucket", lambda: minute + 1)
    next_minute = _readiness(client, release)

    assert same_minute["ETag"] == before["ETag"]
    assert same_minute.json() == before.json()
    assert next_minute["ETag"] != before["ETag"]
    assert "freeze" in {b["type"] for b in next_minute.json()["blockers"]}
