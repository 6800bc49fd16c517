"""The release page and dashboard served from cached fragments: never stale after
a change, never another viewer's CSRF token, 304 when nothing changed."""

import re

from django.urls import reverse

from apps.readiness.readiness import compute_readiness
from apps.releases import services
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import services as signoff_services
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def _open_item(release) -> ReleaseItem:
    return release.items.filter(
        phase="pre_deployment", kind="check", required=True, state="open"
    ).first()


def _form_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_a_ticked_item_shows_on_the_next_page_view(client, engineer, release):
    client.force_login(engineer)
    item = _open_item(release)
    first = client.get(release.get_absolute_url())
    assert f'id="item-{item.pk}"' in first.text
    client.post(reverse("releases:item-state", args=[item.pk]), {"state": "done"})
    again = client.get(release.get_absolute_url())
    row = again.text.split(f'id="item-{item.pk}"', 1)[1].split("</li>", 1)[0]
    assert "done" in row
    assert again.text != first.text


def test_a_sign_off_shows_on_the_next_page_view(client, lead, engineer, release):
    client.force_login(engineer)
    before = client.get(release.get_absolute_url()).text
    role = release.signoff_roles[0]
    signoff_services.signoff_record(
        release=release, role_key=role["key"], decision="approve", by=lead
    )
    after = client.get(release.get_absolute_url()).text
    assert after != before
    assert lead.username in after or lead.get_full_name() in after


def test_each_viewer_gets_their_own_csrf_token_in_a_shared_fragment(
    client, engineer, second_engineer, release
):
    client.force_login(engineer)
    mine = client.get(release.get_absolute_url()).text
    other = factories.UserFactory.build()
    assert other  # a second browser for the second engineer
    from django.test import Client

    second = Client()
    second.force_login(second_engineer)
    theirs = second.get(release.get_absolute_url()).text
    my_tokens, their_tokens = _form_tokens(mine), _form_tokens(theirs)
    assert my_tokens and their_tokens
    assert not my_tokens & their_tokens
    assert "csrf-placeholder" not in mine + theirs
    assert TOKEN.search(theirs).group(1) in their_tokens


def test_an_unchanged_release_page_answers_304_and_a_change_ends_it(
    client, engineer, release
):
    client.force_login(engineer)
    first = client.get(release.get_absolute_url())
    etag = first["ETag"]
    unchanged = client.get(release.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    services.release_item_set_state(item=_open_item(release), state="done", by=engineer)
    changed = client.get(release.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_another_viewer_never_gets_a_304_for_someone_elses_page(
    client, engineer, second_engineer, release
):
    client.force_login(engineer)
    etag = client.get(release.get_absolute_url())["ETag"]
    from django.test import Client

    second = Client()
    second.force_login(second_engineer)
    response = second.get(release.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert second_engineer.username in response.text


def test_an_auditor_sees_no_tick_buttons_after_an_engineer_filled_the_cache(
    client, engineer, auditor, release
):
    client.force_login(engineer)
    tickable = client.get(release.get_absolute_url()).text
    client.force_login(auditor)
    read_only = client.get(release.get_absolute_url()).text
    state_url = reverse("releases:item-state", args=[_open_item(release).pk])
    assert state_url in tickable
    assert state_url not in read_only


def test_dashboard_readiness_matches_the_release_page(client, engineer, release):
    services.release_item_set_state(item=_open_item(release), state="done", by=engineer)
    client.force_login(engineer)
    response = client.get(reverse("releases:dashboard"))
    score = compute_readiness(release).score
    assert f'value="{score}"' in response.text
    assert (
        client.get(
            reverse("releases:dashboard"), HTTP_IF_NONE_MATCH=response["ETag"]
        ).status_code
        == 304
    )


def _dashboard(client, etag: str = ""):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(reverse("releases:dashboard"), **headers)


def test_an_unchanged_dashboard_answers_304_until_a_release_changes(
    client, engineer, release
):
    client.force_login(engineer)
    etag = _dashboard(client)["ETag"]
    assert _dashboard(client, etag).status_code == 304

    services.release_item_set_state(item=_open_item(release), state="done", by=engineer)
    changed = _dashboard(client, etag)
    assert changed.status_code == 200
    assert f'value="{compute_readiness(release).score}"' in changed.text


def test_a_new_release_and_a_renamed_service_end_the_dashboards_304(
    client, engineer, lead, release, environment, template
):
    client.force_login(engineer)
    etag = _dashboard(client)["ETag"]
    services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="7.7.7",
        by=lead,
    )
    added = _dashboard(client, etag)
    assert added.status_code == 200
    assert "7.7.7" in added.text

    service = environment.service
    service.name = "Checkout Renamed"
    service.save()
    renamed = _dashboard(client, added["ETag"])
    assert renamed.status_code == 200
    assert "Checkout Renamed" in renamed.text


def test_a_viewer_removed_from_the_team_gets_no_304(client, engineer, release):
    client.force_login(engineer)
    response = _dashboard(client)
    assert release.version in response.text
    engineer.memberships.all().delete()
    after = _dashboard(client, response["ETag"])
    assert after.status_code == 200
    assert release.version not in after.text


def test_a_write_that_bypasses_the_services_still_ends_the_304(
    client, engineer, release
):
    # Database triggers count every write to a team's releases, so even a bulk
    # update outside the services (a data fix in a shell) shows at once.
    client.force_login(engineer)
    etag = _dashboard(client)["ETag"]
    Release.objects.filter(pk=release.pk).update(version="1.0.0-hotfix")

    after = _dashboard(client, etag)

    assert after.status_code == 200
    assert "1.0.0-hotfix" in after.text


def test_every_write_to_a_release_gets_a_larger_activity_number(
    release, lead, engineer
):
    def activity() -> int:
        return Release.objects.values_list("activity", flat=True).get(pk=release.pk)

    created = activity()
    services.release_item_set_state(item=_open_item(release), state="done", by=engineer)
    ticked = activity()
    services.release_update(release=release, by=lead, notes="Later.")
    updated = activity()
    Release.objects.filter(pk=release.pk).update(notes="By hand.")

    assert 0 < created < ticked < updated < activity()
