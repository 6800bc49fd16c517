"""The audit log page: events as sentences, changes as before → after, filters,
keyset pages of constant cost, scoped to the teams a lead or auditor reads, and
its export of the current filter."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.catalog import services as catalog
from apps.releases import services as releases
from tests import factories

URL = reverse("records:audit-log")


def _text(response) -> str:
    """The page's text without tags, spaces collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def lena(team):
    return factories.member(team, "lead", first_name="Lena", last_name="Lead")


def _tick(release, by, position=None):
    item = release.items.filter(kind="check").order_by("position").first()
    return releases.release_item_set_state(item=item, state="done", by=by)


def test_an_auditor_reads_a_tick_as_a_sentence(client, auditor, release, lena):
    item = _tick(release, lena)
    client.force_login(auditor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    expected = (
        f"Lena Lead ticked <em>{item.text}</em> on "
        f"{release.service.name} 1.0.0 → staging"
    )
    assert expected in html
    # The state is a change, not JSON.
    assert "state open → done" in _text(response)
    assert '{"state"' not in html


def test_a_changed_environment_shows_before_and_after(client, lead, environment):
    catalog.environment_update(
        environment=environment,
        name="staging",
        base_url="https://stage.example.com",
        by=lead,
    )
    client.force_login(lead)
    text = _text(client.get(URL))
    assert f"changed the environment {environment.service.name} / staging" in text
    assert "base URL http://127.0.0.1:9 → https://stage.example.com" in text


def test_engineers_and_people_without_a_team_cannot_read_it(client, engineer):
    client.force_login(engineer)
    assert client.get(URL).status_code == 403


def test_another_teams_lead_sees_none_of_these_events(client, outsider, release, lena):
    _tick(release, lena)
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Lena Lead" not in response.content.decode()
    assert release.service.name not in response.content.decode()


def test_filters_by_who_event_object_and_version(
    client, auditor, release, lena, lead, environment, template
):
    _tick(release, lena)
    other = factories.release_open(environment, template, lead, "7.7.7")
    _tick(other, lead)
    client.force_login(auditor)

    def sentences(**params) -> list[str]:
        html = client.get(URL, params).content.decode()
        found = re.findall(r'<p class="audit-sentence">(.*?)</p>', html, re.S)
        return [re.sub(r"<[^>]+>", "", text) for text in found]

    assert sentences(actor="lena") == [
        f"Lena Lead ticked {release.items.get(state='done').text} on "
        f"{release.service.name} 1.0.0 → staging"
    ]
    opened = sentences(action="release.created")
    assert len(opened) == 2 and all(" opened " in text for text in opened)
    items = sentences(object="releases.releaseitem")
    assert len(items) == 2 and all(" ticked " in text for text in items)
    version = sentences(version="7.7")
    assert version and all("7.7.7 → staging" in text for text in version)
    one = sentences(release=release.pk)
    assert len(one) >= 2 and all("1.0.0 → staging" in text for text in one)


def test_a_date_range_and_a_bad_date(client, auditor, release, lena):
    _tick(release, lena)
    client.force_login(auditor)
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert "No events match" in _text(client.get(URL, {"since": tomorrow}))
    response = client.get(URL, {"since": "2026-13-45"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "From:" in _text(response)
    backwards = _text(client.get(URL, {"since": tomorrow, "until": "2026-01-01"}))
    assert "Choose a day on or after the start." in backwards


def _events(count, team, actor):
    from apps.audit import services as audit

    for number in range(count):
        audit.record(
            actor=actor,
            action="service.changed",
            target_type="catalog.service",
            target_id=number,
            team_id=team.pk,
            before={"name": f"old {number}"},
            after={"name": f"new {number}"},
        )


@pytest.mark.parametrize("count", [5, 120])
def test_queries_stay_constant_whatever_the_page_holds(
    client, auditor, team, lena, release, count, django_assert_max_num_queries
):
    _events(count, team, lena)
    client.force_login(auditor)
    with django_assert_max_num_queries(7):
        response = client.get(URL)
    assert response.status_code == 200


def test_pages_continue_below_the_last_event_without_overlap(
    client, auditor, team, lena
):
    _events(120, team, lena)
    client.force_login(auditor)
    first = client.get(URL, {"action": "service.changed"}).content.decode()
    seqs = [int(s) for s in re.findall(r'id="event-(\d+)"', first)]
    assert len(seqs) == 50 and seqs == sorted(seqs, reverse=True)
    older = re.search(r'href="\?([^"]*before=\d+[^"]*)" rel="next"', first)
    assert older, "an Older link"
    second = client.get(f"{URL}?{older.group(1).replace('&amp;', '&')}")
    more = [int(s) for s in re.findall(r'id="event-(\d+)"', second.content.decode())]
    assert len(more) == 50 and max(more) < min(seqs)
    assert "← Newest" in second.content.decode()


def test_export_takes_the_current_filter(client, auditor, release, lena, lead):
    _tick(release, lena)
    client.force_login(auditor)
    page = client.get(URL, {"actor": "lena"}).content.decode()
    link = re.search(r'href="([^"]*audit-events/[^"]*format=csv[^"]*)"', page)
    assert link and "actor=lena" in link.group(1)
    response = client.get(link.group(1).replace("&amp;", "&"))
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and {row["actor_label"] for row in rows} == {lena.username}
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.after["actor"] == "lena"


def test_the_account_menu_and_the_record_lead_to_it(client, auditor, engineer, release):
    client.force_login(auditor)
    dashboard = client.get(reverse("releases:dashboard")).content.decode()
    assert f'href="{URL}">Audit log<' in dashboard
    record = client.get(reverse("records:record", args=[release.pk])).content.decode()
    assert f'href="{URL}?release={release.pk}"' in record
    client.force_login(engineer)
    dashboard = client.get(reverse("releases:dashboard")).content.decode()
    assert f'href="{URL}"' not in dashboard
