"""The Insights page and its CSVs: charts with text alternatives, numbers
beside them, filters; the metrics API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.api.conftest import client_for

__all__ = ["client_for"]

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def production(team, template, lead):
    """Two production deploys of "shop" last week; one was rolled back."""
    environment = factories.EnvironmentFactory(
        service__team=team, service__name="shop", name="production", production=True
    )
    now = timezone.now()
    for version, days, rolled_back in (("1.0", 8, True), ("1.1", 7, False)):
        deployed = now - timedelta(days=days)
        factories.shipped(
            environment,
            template,
            lead,
            version,
            deployed,
            status="rolled_back" if rolled_back else "deployed",
            rolled_back_at=deployed + timedelta(hours=1) if rolled_back else None,
        )
    return environment


def test_the_page_draws_each_chart_with_its_table_and_text_alternative(
    client, auditor, production, django_assert_max_num_queries
):
    client.force_login(auditor)

    with django_assert_max_num_queries(14):
        response = client.get("/insights/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('role="img"') == 5
    assert page.count("<desc id=") == 5
    assert "Deploys per week over 26 weeks" in page
    assert "1 of 2 deploys failed" in page
    assert "the 2025 report dropped these tiers" in page
    assert 'href="/insights/export.csv?chart=change_fail_rate"' in page
    assert "<script" not in page.split("</header>")[1]
    assert " style=" not in page


def test_the_csv_holds_the_weekly_numbers_of_one_chart(client, lead, production):
    client.force_login(lead)

    response = client.get("/insights/export.csv?chart=change_fail_rate&weeks=4")

    lines = response.content.decode().splitlines()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert lines[0] == "week,change_fail_rate,failed,deploys"
    assert len(lines) == 1 + 4  # the current week and the three before it
    assert sum(int(line.split(",")[2]) for line in lines[1:]) == 1
    assert client.get("/insights/export.csv?chart=nothing").status_code == 404


def test_another_teams_service_shows_nothing_of_it(client, outsider, production):
    client.force_login(outsider)

    response = client.get(f"/insights/?service={production.service_id}")

    assert response.status_code == 200
    assert "0 of 0 deploys failed" in response.content.decode()


def test_the_api_answers_the_five_keys_and_refuses_a_backwards_period(
    client_for, lead, outsider, production
):
    client = client_for(lead)
    url = "/api/v1/metrics/delivery/"

    answer = client.get(url, {"service": production.service_id})
    backwards = client.get(
        url, {"since": "2026-05-02T00:00:00Z", "until": "2026-05-01T00:00:00Z"}
    )
    foreign = client_for(outsider).get(url, {"service": production.service_id})

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {
        "deployment_frequency",
        "change_lead_time",
        "change_fail_rate",
        "recovery_time",
        "rework_rate",
        "readiness",
    }
    assert (
        body["change_fail_rate"]["numerator"],
        body["change_fail_rate"]["denominator"],
    ) == (1, 2)
    assert body["recovery_time"]["estimated"] == 1
    assert len(body["deployment_frequency"]["series"]) == 26
    assert backwards.status_code == 400
    assert "until" in backwards.json()
    assert foreign.status_code == 404


def test_prometheus_reads_deploys_fail_ratio_and_lead_time(
    client, production, settings
):
    from apps.releases.models import ReleaseCommit

    release = production.releases.get(version="1.1")
    ReleaseCommit.objects.create(
        release=release,
        sha="abcdef1",
        committed_at=release.deployed_at - timedelta(hours=10),
    )

    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()

    assert (
        'shipshape_production_deploys_total{result="succeeded",service="shop"} 2.0'
        in text
    )
    assert (
        'shipshape_change_fail_ratio{environment="production",service="shop"} 0.5'
        in text
    )
    assert (
        'shipshape_change_lead_time_hours{environment="production",quantile="0.5",'
        'service="shop"} 10.0' in text
    )


def test_the_service_page_loads_its_delivery_strip(client, lead, outsider, production):
    client.force_login(lead)
    strip = f"/insights/services/{production.service_id}/strip/"

    page = client.get(f"/services/{production.service_id}/")
    fragment = client.get(strip, HTTP_HX_REQUEST="true")
    plain = client.get(strip)
    client.force_login(outsider)
    foreign = client.get(strip, HTTP_HX_REQUEST="true")

    assert f'hx-get="{strip}"' in page.content.decode()
    assert fragment.status_code == 200
    assert "1 of 2 deploys failed" in fragment.content.decode()
    assert plain.status_code == 302
    assert plain["Location"] == f"/insights/?service={production.service_id}"
    assert foreign.status_code == 404
