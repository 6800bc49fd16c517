"""The item tick re-judges cached inputs, and is never served stale.

A tick judges the inputs it cached before with only the ticked item replaced
(apps.readiness.tick). Each test warms that cache with two ticks, checks the
second was judged from it, changes something the way another user or the admin
would, and then checks the next tick's verdict, readiness bar and section
progress are those of a from-scratch compute_readiness().
"""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.policy import services as policy_services
from apps.policy.models import FreezeWindow
from apps.probes.models import ProbeConfig
from apps.readiness.readiness import compute_readiness
from apps.releases import services as release_services
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoff_services
from tests import factories
from tests.policy.conftest import finished_run, probe_config
from tests.resilience.test_concurrency import at_once

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
COUNTERS = (
    "items_total",
    "items_settled",
    "roles_total",
    "roles_approved",
    "probes_total",
    "probes_passing",
    "probes_not_run",
    "probes_stale",
)


def _gating(release: Release) -> list[ReleaseItem]:
    return [
        item
        for item in release.items.order_by("position")
        if item.gates_readiness and item.state == "open"
    ]


def _tick(client, item: ReleaseItem, state: str = "done"):
    # On SQLite the view caches the inputs after its commit (on PostgreSQL
    # before it): run the commit's callbacks, as a request does outside the
    # test's transaction. Its queries are counted without them.
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(
            reverse("releases:item-state", args=[item.pk]), {"state": state}, **HTMX
        )
    assert response.status_code == 200
    response.queries = len(queries.captured_queries)
    return response


def _assert_fresh(response, release: Release) -> None:
    """The tick's verdict, bar and section are those of a from-scratch compute."""
    release = Release.objects.get(pk=release.pk)
    fresh = compute_readiness(release)
    served = response.context["readiness"]
    assert served.as_dict() == fresh.as_dict()
    assert [getattr(served, name) for name in COUNTERS] == [
        getattr(fresh, name) for name in COUNTERS
    ]
    # The bar's summary strip names the release's status (issue 19), as the
    # page and the tick pass it.
    bar = render_to_string(
        "releases/partials/readiness_bar.html",
        {"readiness": fresh, "release": release, "oob": True},
    )
    assert bar in response.text
    section = response.context["section"]
    item = ReleaseItem.objects.get(pk=response.context["item"].pk)
    members = [
        other for other in release.items.all() if other.pk in section_ids(section)
    ]
    assert item.pk in section_ids(section)
    assert section.settled == sum(1 for other in members if other.settled)
    assert section.total == len(members)


def section_ids(section) -> set[int]:
    return {member.pk for member in section.items}


@pytest.fixture
def warm(client, engineer, release, settings):
    """Two ticks by the engineer: the second is judged from the cached inputs."""
    # Every request reads the person again (apps.accounts.signed_in), so that
    # ticks count the same queries but for the tick's own: reused for up to a
    # second, the person was read again mid-run on a loaded machine, and those
    # two queries were counted as a tick's.
    settings.API_AUTH_CACHE_MS = 0
    client.force_login(engineer)
    item = _gating(release)[0]
    first = _tick(client, item)
    second = _tick(client, item, "open")
    assert second.queries <= first.queries - 4, (first.queries, second.queries)
    _assert_fresh(second, release)
    return item


def test_a_tick_after_the_first_is_judged_from_the_cached_inputs(
    client, engineer, release, settings
):
    # Every request reads the person again (apps.accounts.signed_in), so that
    # the three count the same queries but for the tick's own.
    settings.API_AUTH_CACHE_MS = 0
    client.force_login(engineer)
    item = _gating(release)[0]

    first = _tick(client, item)
    second = _tick(client, item, "open")
    third = _tick(client, item)

    # The cached inputs save reading the items, evidence, sign-offs and policy
    # facts (4 queries) and the second stamp that checks a gathering.
    assert second.queries == third.queries == first.queries - 5
    _assert_fresh(third, release)
    assert third.context["readiness"].items_settled == 1


def test_changes_by_another_user_between_ticks_are_not_served_stale(
    client, warm, release, second_engineer
):
    other, blocked = _gating(release)[1:3]
    release_services.release_item_set_state(
        item=other, state="done", by=second_engineer
    )
    release_services.release_item_set_state(
        item=blocked, state="blocked", note="staging is down", by=second_engineer
    )

    response = _tick(client, warm)

    _assert_fresh(response, release)
    texts = [b.text for b in response.context["readiness"].blockers]
    assert f"{blocked.text} (blocked: staging is down)" in texts
    assert response.context["readiness"].items_settled == 2


def test_another_users_tick_between_ticks_is_not_served_stale(
    client, warm, release, engineer, second_engineer
):
    other = _gating(release)[1]
    client.force_login(second_engineer)
    _assert_fresh(_tick(client, other), release)
    client.force_login(engineer)

    response = _tick(client, warm)

    _assert_fresh(response, release)
    assert response.context["readiness"].items_settled == 2


def test_a_new_probe_configuration_is_not_served_stale(
    client, warm, release, environment
):
    probe_config(environment, "Health endpoint")

    response = _tick(client, warm, "open")

    _assert_fresh(response, release)
    assert response.context["readiness"].probes_not_run == 1
    texts = [b.text for b in response.context["readiness"].blockers]
    assert "Health endpoint: no evidence yet" in texts


def test_a_probe_turned_advisory_in_bulk_is_not_served_stale(
    client, warm, release, environment
):
    config = probe_config(environment, "Health endpoint")
    _assert_fresh(_tick(client, warm, "open"), release)
    # update() leaves updated_at alone: the stamp digests what the verdict reads.
    ProbeConfig.objects.filter(pk=config.pk).update(severity="advisory")

    response = _tick(client, warm)

    _assert_fresh(response, release)
    assert response.context["readiness"].probes_total == 0


def test_a_probe_run_finished_without_the_services_is_not_served_stale(
    client, warm, release, environment
):
    config = probe_config(environment, "Health endpoint")
    _assert_fresh(_tick(client, warm, "open"), release)
    finished_run(release, [(config, "fail", "status 503")])

    response = _tick(client, warm)

    _assert_fresh(response, release)
    texts = [b.text for b in response.context["readiness"].blockers]
    assert "Health endpoint: status 503" in texts


def test_a_freeze_window_created_is_not_served_stale(
    client, warm, release, environment, lead
):
    now = timezone.now()
    policy_services.freeze_window_save(
        environment=environment,
        by=lead,
        name="Black Friday",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )

    response = _tick(client, warm)

    _assert_fresh(response, release)
    assert response.context["readiness"].freeze["name"] == "Black Friday"


def test_a_freeze_window_edited_in_bulk_is_not_served_stale(
    client, warm, release, environment
):
    now = timezone.now()
    window = FreezeWindow.objects.create(
        environment=environment,
        name="Later",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
    )
    _assert_fresh(_tick(client, warm), release)
    FreezeWindow.objects.filter(pk=window.pk).update(starts_at=now - timedelta(hours=1))

    response = _tick(client, warm, "open")

    _assert_fresh(response, release)
    assert response.context["readiness"].freeze["name"] == "Later"


def test_a_waiver_approved_is_not_served_stale(
    client, warm, release, engineer, lead, second_engineer
):
    item = _gating(release)[1]
    second_lead = factories.member(release.team, "lead")
    waiver = policy_services.waiver_request(
        release=release,
        blocker_type="item",
        blocker_id=item.pk,
        reason="Covered by the staging soak test",
        expires_at=timezone.now() + timedelta(days=1),
        by=lead,
    )
    _assert_fresh(_tick(client, warm), release)
    policy_services.waiver_approve(waiver=waiver, by=second_lead)

    response = _tick(client, warm, "open")

    _assert_fresh(response, release)
    assert [w.blocker.id for w in response.context["readiness"].waived] == [
        str(item.pk)
    ]


def test_a_sign_off_is_not_served_stale(client, warm, release):
    role = release.signoff_roles[0]
    approver = factories.member(release.team, "engineer")
    signoff_services.signoff_record(
        release=release, role_key=role["key"], decision="approve", by=approver
    )

    response = _tick(client, warm)

    _assert_fresh(response, release)
    assert response.context["readiness"].roles_approved == 1


def test_a_refused_tick_is_judged_from_the_cache_and_not_served_stale(
    client, warm, release, second_engineer
):
    other = _gating(release)[1]
    release_services.release_item_set_state(
        item=other, state="done", by=second_engineer
    )

    # Blocked without a note is refused: nothing is written.
    response = _tick(client, warm, "blocked")

    assert "Say why this item is blocked" in response.text
    _assert_fresh(response, release)
    assert response.context["readiness"].items_settled == 1


class _EarlierShape:
    """Pickles as a SectionShape built with fewer fields than it has now: what a
    deploy that adds a field finds in Redis for up to CACHE_SECONDS."""

    def __reduce__(self):
        from apps.readiness.tick import SectionShape

        return (SectionShape, ("key",))


def test_a_cached_entry_of_an_earlier_deploy_is_gathered_again(
    client, engineer, release, caplog
):
    from apps.readiness import stamps, tick

    client.force_login(engineer)
    item = _gating(release)[0]
    _tick(client, item)
    stamp = stamps.tick_stamp(release.pk)
    key = tick._key(stamp, stamp.revision)
    base = tick._get_bytes(key).partition(b"\n")[0]
    # The entry's written item as the earlier deploy pickled it.
    tick._set_bytes({key: base + b"\n" + tick._record(_EarlierShape())})

    second = _tick(client, item, "open")

    _assert_fresh(second, release)
    assert "tick cache entry unreadable" in caplog.text


def test_processes_running_another_shape_of_the_cached_classes_share_no_entry(
    client, engineer, release, monkeypatch
):
    """A deploy that changes the pickled classes' shape bumps tick.FORMAT: an
    entry the other version wrote can unpickle without an error into a broken
    object (a named tuple read back as a dataclass has no fields), so the two
    versions must never read each other's keys."""
    from apps.readiness import stamps, tick

    client.force_login(engineer)
    _tick(client, _gating(release)[0])
    stamp = stamps.tick_stamp(release.pk)
    keys = {tick._key(stamp, stamp.revision)}
    monkeypatch.setattr(tick, "FORMAT", tick.FORMAT - 1)
    keys.add(tick._key(stamp, stamp.revision))

    assert len(keys) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_people_ticking_one_release_at_once_each_see_their_tick_and_those_before(
    release, engineer
):
    """Ticks of one release are written one after another (its row lock). Each
    answer's bar counts the ticks committed before it and its own, whether it
    was gathered or judged from the inputs the tick before carried forward."""
    items = _gating(release)[:6]
    total = len(_gating(release))

    def tick(item: ReleaseItem) -> tuple[int, str]:
        client = Client()
        client.force_login(engineer)
        response = client.post(
            reverse("releases:item-state", args=[item.pk]), {"state": "done"}, **HTMX
        )
        settled = re.search(r"<strong>(\d+/\d+)</strong> required items", response.text)
        return response.status_code, settled.group(1) if settled else ""

    outcomes = at_once(*(partial(tick, item) for item in items))

    assert sorted(outcomes) == [(200, f"{n}/{total}") for n in range(1, 7)]
    client = Client()
    client.force_login(engineer)
    last = _tick(client, items[0], "open")
    _assert_fresh(last, release)
    assert last.context["readiness"].items_settled == 5


def test_a_long_run_of_ticks_stays_judged_from_the_cache_and_fresh(
    client, warm, release, monkeypatch
):
    """Each tick appends its item to the entry it carries forward: one ticked
    back and forth is stored again with each item once past MAX_RECORDS, and
    more distinct items than MAX_CHANGES become a base of their own. Every
    answer is still judged from the cache, and right."""
    from apps.readiness import tick

    monkeypatch.setattr(tick, "MAX_CHANGES", 3)
    monkeypatch.setattr(tick, "MAX_RECORDS", 6)
    cached = _tick(client, warm, "done").queries
    items = _gating(release)[:5]
    ticks = [(warm, state) for state in ["open", "done"] * 5]
    ticks += [(item, "done") for item in items] + [(item, "open") for item in items]

    for item, state in ticks:
        answer = _tick(client, item, state)
        _assert_fresh(answer, release)
        assert answer.queries <= cached, (item.pk, state)


def test_a_tick_drops_the_revision_mirror_before_its_commit_and_stores_it_after(
    client, warm, release
):
    """The tick leaves dropping the polled revision's mirror to the Redis
    command that carries its inputs forward: gone before the commit (a poll
    then reads the database), the new revision after it."""
    from django.core.cache import cache

    from apps.releases import revisions

    if not hasattr(cache, "raise_to"):
        pytest.skip("the revision mirror needs the Redis cache: set REDIS_URL")
    revision = Release.objects.get(pk=release.pk).revision
    revisions.mirror(release.pk, revision, release.team_id)
    assert revisions.mirrored(release.pk) == (revision, release.team_id)

    with TestCase.captureOnCommitCallbacks(execute=False) as after_commit:
        response = client.post(
            reverse("releases:item-state", args=[warm.pk]), {"state": "done"}, **HTMX
        )
    assert response.status_code == 200
    assert revisions.mirrored(release.pk) is None
    for callback in after_commit:
        callback()

    assert revisions.mirrored(release.pk) == (revision + 1, release.team_id)
