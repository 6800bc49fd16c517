"""The release page on every screen: summary strip, skip links, accessible names,
the open-items filter, the readiness bar's state and long values."""

import re

import pytest
from django.core.cache import cache

from apps.readiness.readiness import Blocker, Readiness
from apps.readiness.templatetags.release_page import look_of
from apps.releases import services
from apps.signoffs import services as signoff_services
from tests import factories

VERSION_64 = "2026.12.04-rc.1+build.7f3c9e2a1b5d8c4e6f0a9b3d2c1e5f7a8b9c0d1e2f"


def _page(client, user, release, query: str = "") -> str:
    client.force_login(user)
    response = client.get(release.get_absolute_url() + query)
    assert response.status_code == 200
    return response.text


def _bar(text: str) -> str:
    return text[text.index('<section id="readiness-bar"') :].split("</section>")[0]


def test_the_summary_strip_links_each_part_to_its_panel(client, engineer, release):
    bar = _bar(_page(client, engineer, release))

    assert '<nav class="summary-strip" aria-label="Release summary">' in bar
    assert (
        '<a href="#checklist"><strong>0/51</strong> required items settled</a>' in bar
    )
    assert '<a href="#status-actions">Status: <strong>In progress</strong></a>' in bar
    assert '<a href="#signoffs"><strong>0/6</strong> sign-offs approved</a>' in bar
    assert 'href="#probes"><strong>0/0</strong> probes passing</a>' in bar


def test_skip_links_lead_to_status_sign_offs_and_probes(client, auditor, release):
    text = _page(client, auditor, release)

    skips = re.findall(r'<a class="skip-link"\s+href="#([a-z-]+)">([^<]+)</a>', text)
    assert skips == [
        ("main", "Skip to content"),
        ("status-actions", "Skip to status"),
        ("signoffs", "Skip to sign-offs"),
        ("probes", "Skip to probes"),
    ]
    for target in ("status-actions", "signoffs", "probes"):
        assert f'id="{target}"' in text


def test_each_na_or_blocked_button_is_named_by_its_item(client, engineer, release):
    text = _page(client, engineer, release)

    assert '<span id="n" hidden>N/A or blocked…</span>' in text
    labels = dict(re.findall(r"<label for=c\d+ id=(l\d+)>([^<]+)</label>", text))
    by_label = re.findall(r'<button class=more aria-labelledby="n (l\d+)"', text)
    by_text = re.findall(r'<button class=more aria-label="([^"]+)"', text)
    names = [f"N/A or blocked… {labels[label]}" for label in by_label] + by_text
    assert len(names) == 109
    assert len(set(names)) == 109
    # The one text that repeats (a check and two steps) names its section.
    assert by_text == [
        "N/A or blocked… Run migrations (Database)",
        "N/A or blocked… Run migrations (Option A: Docker Compose (Small Scale))",
        "N/A or blocked… Run migrations (Option B: Kubernetes (Enterprise Scale))",
    ]
    first = release.items.order_by("position").first()
    assert f'aria-labelledby="n l{first.pk}"' in text
    assert labels[f"l{first.pk}"] == first.text


def test_a_row_drawn_alone_names_its_button_with_the_section(client, engineer, release):
    item = release.items.order_by("position").first()
    client.force_login(engineer)

    row = client.get(f"/items/{item.pk}/", HTTP_HX_REQUEST="true").text

    assert f'aria-label="N/A or blocked… {item.text} (' in row


def test_a_settled_section_stays_a_closed_details_element(client, engineer, release):
    section = release.items.order_by("position").first().section_title
    for item in release.items.filter(section_title=section):
        services.release_item_set_state(item=item, state="done", by=engineer)

    text = _page(client, engineer, release)

    first = re.search(r'<details class="section" id="s0"( open)?>', text)
    second = re.search(
        r'<details class="section" id="s\d+"( open)?>', text[first.end() :]
    )
    assert first.group(1) is None
    assert second.group(1) == " open"


def test_show_open_items_only_is_a_query_parameter(client, engineer, release):
    every = _page(client, engineer, release)
    only_open = _page(client, engineer, release, "?open")

    assert '<div class="release-page">' in every
    assert '<div class="release-page only-open">' in only_open
    assert 'href="?open#checklist">Show open items only</a>' in every
    assert 'href="?#checklist">Show all items</a>' in only_open
    assert "Every checklist item is settled." in only_open


def test_an_open_release_has_an_incomplete_bar(client, engineer, release):
    bar = _bar(_page(client, engineer, release))

    assert 'class="readiness card state-incomplete"' in bar
    assert '<progress class="bar bar-lg tone-info"' in bar
    assert "Not ready: 57 blockers</span>" in bar
    assert '<use href="#i-clock">' in bar
    assert "readiness-state" not in bar


def test_a_rejection_makes_the_bar_blocked(client, engineer, release):
    role = release.signoff_roles[0]
    signoff_services.signoff_record(
        release=release,
        role_key=role["key"],
        decision="reject",
        comment="No rollback plan",
        by=engineer,
    )

    bar = _bar(_page(client, engineer, release))

    assert 'class="readiness card state-blocked"' in bar
    assert '<progress class="bar bar-lg tone-bad"' in bar
    assert "Blocked: 57 blockers</span>" in bar
    assert '<use href="#i-ban">' in bar
    assert "Blocked by a rejected sign-off." in bar


def test_a_failing_probe_makes_the_bar_blocked(client, engineer, release):
    factories.probe_evidence(release, engineer, status="fail")

    bar = _bar(_page(client, engineer, release))

    assert 'class="readiness card state-blocked"' in bar
    assert '<progress class="bar bar-lg tone-bad"' in bar
    assert "Blocked by a failing probe." in bar


def test_a_ready_release_has_a_ready_bar(client, engineer, release):
    for item in release.items.all():
        services.release_item_set_state(item=item, state="done", by=engineer)
    release.allow_shared_signoffs = True
    release.save(update_fields=["allow_shared_signoffs"])
    for role in release.signoff_roles:
        signoff_services.signoff_record(
            release=release, role_key=role["key"], decision="approve", by=engineer
        )

    bar = _bar(_page(client, engineer, release))

    assert 'class="readiness card state-ready is-ready"' in bar
    assert '<progress class="bar bar-lg tone-ok"' in bar
    assert "Ready to deploy</span>" in bar
    assert "readiness-state" not in bar


@pytest.mark.parametrize(
    ("blockers", "state", "causes"),
    [
        ([Blocker("item", "1", "Backups (open)")], "incomplete", []),
        ([Blocker("evidence", "not_run", "TLS: no evidence yet")], "incomplete", []),
        ([Blocker("signoff", "qa", "QA: no sign-off yet")], "incomplete", []),
        (
            [Blocker("item", "1", "Backups (blocked: the bucket is gone)", True)],
            "blocked",
            ["a blocked item"],
        ),
        (
            [
                Blocker("probe", "4", "TLS: expired", True),
                Blocker("probe", "5", "Health: 503", True),
                Blocker("signoff", "qa", "QA: rejected by lena", True),
            ],
            "blocked",
            ["2 failing probes", "a rejected sign-off"],
        ),
        (
            [Blocker("freeze", "3", "Freeze Xmas until …", True)],
            "blocked",
            ["a freeze window"],
        ),
    ],
)
def test_the_bar_state_separates_blocked_from_incomplete(blockers, state, causes):
    look = look_of(Readiness(ready=False, score=50, blockers=blockers))

    assert (look.state, look.causes) == (state, causes)
    assert look.tone == {"blocked": "bad", "incomplete": "info"}[state]


def test_a_64_character_version_can_wrap_and_keeps_its_full_text(
    client, engineer, lead, environment, template
):
    assert len(VERSION_64) == 64
    release = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version=VERSION_64,
        by=lead,
    )

    text = _page(client, engineer, release)
    client.force_login(engineer)
    service_page = client.get(f"/services/{environment.service_id}/").text

    assert f'<span class="version">{VERSION_64}</span></h1>' in text
    assert f'title="{VERSION_64}">{VERSION_64}</a>' in service_page


def _dashboard_row(client, user, release) -> str:
    client.force_login(user)
    text = client.get("/").text
    start = text.index(f'href="{release.get_absolute_url()}"')
    return text[start : text.index("</li>", text.index('class="rr-counts"', start))]


def test_a_dashboard_row_is_coloured_by_its_state_not_its_score(
    client, engineer, release
):
    row = _dashboard_row(client, engineer, release)
    assert '<div class="rr-readiness state-incomplete">' in row
    assert 'class="bar tone-info"' in row
    assert 'aria-label="Readiness of' in row and ': incomplete"' in row

    factories.probe_evidence(release, engineer, status="fail")
    # The factory writes the run's rows directly, without the service that
    # counts the change the dashboard's cache is keyed on.
    cache.clear()
    row = _dashboard_row(client, engineer, release)
    # Blocked whatever its score: something said no.
    assert '<div class="rr-readiness state-blocked">' in row
    assert 'class="bar tone-bad"' in row
    assert '<svg class="icon" role="img" aria-label="blocked">' in row
