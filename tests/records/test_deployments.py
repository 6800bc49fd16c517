"""What is deployed where: the overview grid, a service's page and their API."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.releases.models import Release
from tests import factories

OVERVIEW = "/deployments/"


@pytest.fixture
def production(environment):
    return factories.EnvironmentFactory(service=environment.service, name="production")


@pytest.mark.parametrize("role", ["lead", "engineer", "auditor"])
def test_every_role_of_the_team_sees_the_overview_and_the_service_page(
    client, request, release, role
):
    client.force_login(request.getfixturevalue(role))
    factories.deployed(release, request.getfixturevalue("lead"))

    overview = client.get(OVERVIEW)
    page = client.get(f"/services/{release.service_id}/")

    assert overview.status_code == 200
    assert page.status_code == 200
    assert release.service.name in overview.text
    assert "1.0.0" in overview.text
    assert "<h1>What's deployed where</h1>" in overview.text
    assert f"<h1>{release.service.name}</h1>" in page.text
    assert "Release history" in page.text


def test_another_teams_service_is_a_404_and_absent_from_the_overview(
    client, outsider, release, lead
):
    factories.deployed(release, lead)
    client.force_login(outsider)

    assert client.get(f"/services/{release.service_id}/").status_code == 404
    overview = client.get(OVERVIEW)
    assert overview.status_code == 200
    assert release.service.name not in overview.text
    assert "No environments yet." in overview.text


def test_anonymous_visitor_is_sent_to_sign_in_from_both_pages(client, release):
    for url in (OVERVIEW, f"/services/{release.service_id}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_pages_are_read_only(client, lead, release):
    client.force_login(lead)
    for url in (OVERVIEW, f"/services/{release.service_id}/"):
        assert client.post(url).status_code == 405
        main = client.get(url).text.split('<main id="main"')[1]
        assert 'method="post"' not in main


def test_the_grid_shows_the_newest_deployed_version_per_environment(
    client, lead, auditor, environment, production, template
):
    old = factories.deployed(
        factories.release_open(production, template, lead, "2.3.0"), lead, hours_ago=1.5
    )
    new = factories.deployed(
        factories.release_open(production, template, lead, "2.4.0"), lead, hours_ago=0.5
    )
    rolled = factories.release_open(production, template, lead, "2.5.0")
    Release.objects.filter(pk=rolled.pk).update(
        status=Release.Status.ROLLED_BACK,
        deployed_at=timezone.now() - timedelta(minutes=10),
        deployed_by=lead,
    )
    factories.release_open(
        environment, template, lead, "2.6.0-rc1"
    )  # open, not deployed
    client.force_login(auditor)

    text = client.get(OVERVIEW).text

    assert f'href="{new.get_absolute_url()}" title="2.4.0"' in text
    assert f'href="{old.get_absolute_url()}"' not in text
    assert "2.5.0" not in text
    assert "2.6.0-rc1" not in text
    assert "Nothing deployed yet" in text  # staging
    assert '<th scope="col">staging</th><th scope="col">production</th>' in text
    assert lead.get_username() in text


def test_readiness_at_deploy_says_ready_override_or_waivers(
    client, lead, engineer, environment, production, template
):
    third = factories.EnvironmentFactory(service=environment.service, name="qa")
    factories.deployed(
        factories.release_open(environment, template, lead, "1.0.0"), lead
    )
    factories.deployed(
        factories.release_open(production, template, lead, "1.1.0"),
        lead,
        override="Hotfix for the checkout outage",
    )
    waived = factories.deployed(
        factories.release_open(third, template, lead, "1.2.0"), lead
    )
    factories.waiver_approved(
        waived, label="TLS certificate probe", requested_by=engineer, approved_by=lead
    )
    factories.waiver_approved(  # approved after the deployment: not counted
        waived,
        label="Late waiver",
        requested_by=engineer,
        approved_by=lead,
        approved_hours_ago=-0.1,
    )
    client.force_login(engineer)

    overview = client.get(OVERVIEW).text
    page = client.get(f"/services/{environment.service_id}/").text

    for text in (overview, page):
        assert "Ready</span>" in text
        assert "Override of 1 blocker</span>" in text
        assert "Ready with 1 waiver</span>" in text
    assert "“Hotfix for the checkout outage”" in page
    assert "Waived:\n        TLS certificate probe" in page
    assert "Late waiver" not in page


def test_the_service_history_is_newest_first_and_paginated(
    client, engineer, environment, template, lead
):
    for number in range(22):
        factories.release_open(environment, template, lead, f"3.0.{number}")
    client.force_login(engineer)

    first = client.get(f"/services/{environment.service_id}/").text
    second = client.get(f"/services/{environment.service_id}/?page=2").text

    assert first.index(">3.0.21<") < first.index(">3.0.20<")
    assert ">3.0.1<" not in first
    assert ">3.0.1<" in second and ">3.0.0<" in second
    assert 'rel="next">Older →</a>' in first
    assert '<span class="count">22</span>' in first


def _service_page_queries(client, service_id: int) -> int:
    """Queries of the three reads, without the session's: cached_db reads it
    again whenever its cache entry is gone, however many releases exist."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/services/{service_id}/").status_code == 200
        assert client.get(OVERVIEW).status_code == 200
        api = client.get(f"/api/v1/deployments/?service={service_id}")
        assert api.status_code == 200
    return sum("django_session" not in q["sql"] for q in queries.captured_queries)


def _deploy_many(environments, template, lead, count: int, prefix: str) -> None:
    for number in range(count):
        env = environments[number % len(environments)]
        release = factories.release_open(env, template, lead, f"{prefix}.{number}")
        factories.deployed(release, lead, hours_ago=(count - number) / 60)


def test_queries_do_not_grow_with_the_number_of_releases(
    client, engineer, lead, environment, production, template, settings
):
    # Every request reads the person again (apps.accounts.signed_in): with the
    # second's reuse, the two counts differed by that read whenever the 30
    # deploys in between took less than a second.
    settings.API_AUTH_CACHE_MS = 0
    other = factories.EnvironmentFactory(
        service=factories.ServiceFactory(team=environment.service.team)
    )
    _deploy_many([environment, production, other], template, lead, 3, "1.0")
    client.force_login(engineer)
    few = _service_page_queries(client, environment.service_id)

    _deploy_many([environment, production, other], template, lead, 30, "2.0")
    many = _service_page_queries(client, environment.service_id)

    assert many == few


def test_dashboard_and_release_page_link_to_the_service_and_the_overview(
    client, engineer, release
):
    client.force_login(engineer)
    service_url = f"/services/{release.service_id}/"

    dashboard = client.get(reverse("releases:dashboard")).text
    page = client.get(release.get_absolute_url()).text

    assert f'href="{OVERVIEW}">Deployed where</a>' in dashboard
    assert f'href="{service_url}"\n          >{release.service.name}</a>' in dashboard
    assert f'<a href="{service_url}">{release.service.name}</a></p>' in page


def test_the_api_lists_each_environment_with_its_deployment(
    client, lead, auditor, outsider, environment, production, template
):
    deployed = factories.deployed(
        factories.release_open(production, template, lead, "4.2.0"),
        lead,
        override="Hotfix",
    )
    client.force_login(auditor)

    body = client.get("/api/v1/deployments/").json()
    filtered = client.get(f"/api/v1/deployments/?environment={production.pk}").json()

    assert [row["environment_name"] for row in body["results"]] == [
        "staging",
        "production",
    ]
    assert body["results"][0]["current"] is None
    current = body["results"][1]["current"]
    assert current["release"] == deployed.pk
    assert current["version"] == "4.2.0"
    assert current["deployed_by"] == lead.get_username()
    assert current["readiness_at_deploy"] == "override"
    assert current["override"]["reason"] == "Hotfix"
    assert current["waivers"] == []
    assert [row["environment"] for row in filtered["results"]] == [production.pk]
    client.force_login(outsider)
    assert client.get("/api/v1/deployments/").json()["results"] == []
    assert (
        client.get(f"/api/v1/deployments/?service={environment.service_id}").json()[
            "results"
        ]
        == []
    )
    client.logout()
    assert client.get("/api/v1/deployments/").status_code in (401, 403)
