"""`make run`'s demo team tells the truth: one signer per sign-off role, probes
on the local app only, and the README's walk reaches "Ready to deploy".

The walk's probes run against pytest-django's live server, which stands in for
`make run`'s development server on loopback."""

import ipaddress
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from apps.catalog.models import Environment
from apps.probes import services as probes
from apps.probes.models import ProbeConfig, ProbeRun
from apps.readiness.readiness import compute_readiness
from apps.releases import services as releases
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import selectors as signoff_selectors
from apps.signoffs import services as signoffs

DEMO_USERNAMES = [
    "lead",
    "engineer",
    "auditor",
    "admin",
    "security",
    "product",
    "support",
]


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    return Release.objects.get(service__slug="storefront-api", version="2.4.0")


def _eligible(release: Release, role_key: str) -> list[str]:
    return [
        user.username
        for user in User.objects.filter(username__in=DEMO_USERNAMES).order_by("pk")
        if signoff_selectors.signoff_refusal(
            release=release, role_key=role_key, user=user
        )
        is None
    ]


def _host(target: str) -> str:
    """The host of a probe target: a URL, or host:port."""
    if "://" in target:
        return urlsplit(target).hostname or ""
    return urlsplit(f"//{target}").hostname or ""


def test_every_signoff_role_of_the_demo_release_has_its_own_demo_signer(demo):
    eligible = {
        role["key"]: _eligible(demo, role["key"]) for role in demo.signoff_roles
    }
    assert eligible == {
        "technical_lead": ["lead"],
        "security_review": ["security"],
        "product_owner": ["product"],
        "operations": ["engineer"],
        "support": ["support"],
        "stakeholders": ["admin"],
    }


def test_the_demo_has_a_user_per_team_role(demo):
    roles = dict(demo.team.memberships.values_list("user__username", "role"))
    assert {roles[name] for name in ("lead", "engineer", "auditor", "admin")} == {
        "lead",
        "engineer",
        "auditor",
        "admin",
    }


def test_no_demo_probe_or_environment_targets_a_non_loopback_host(demo):
    targets = list(ProbeConfig.objects.values_list("target", flat=True))
    targets += list(Environment.objects.values_list("base_url", flat=True))
    targets += list(Environment.objects.values_list("api_url", flat=True))
    # Four probes; staging and production of the storefront, search's production.
    assert len(targets) == 4 + 3 + 3
    for target in targets:
        host = _host(target)
        assert host == "localhost" or ipaddress.ip_address(host).is_loopback, target
        assert "example.com" not in target


def test_seeding_twice_changes_nothing(demo):
    counts = (
        ProbeConfig.objects.count(),
        Release.objects.count(),
        demo.signoffs.count(),
    )
    call_command("seed_demo", stdout=StringIO())
    assert (
        ProbeConfig.objects.count(),
        Release.objects.count(),
        demo.signoffs.count(),
    ) == counts


def _tick_open_items(release: Release, by: User) -> list[str]:
    ticked = []
    for blocker in compute_readiness(release).blockers:
        if blocker.type == "item":
            item = ReleaseItem.objects.get(pk=blocker.id)
            releases.release_item_set_state(
                item=item, state=ReleaseItem.State.DONE, by=by
            )
            ticked.append(item.text)
    return ticked


@pytest.mark.postgres
def test_the_readme_walk_reaches_ready_to_deploy(
    transactional_db, live_server, settings
):
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    settings.PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    call_command("seed_demo", stdout=StringIO())
    release = Release.objects.get(version="2.4.0")
    lead = User.objects.get(username="lead")
    engineer = User.objects.get(username="engineer")
    assert not compute_readiness(release).ready

    # 2. Tick the open items.
    verdict = compute_readiness(release)
    left = [b for b in verdict.blockers if b.type == "item"]
    assert len(left) == 3 + 4  # three for the walk, four the probes verify
    ticked = _tick_open_items(release, engineer)
    for text in (
        "Load testing completed",
        "Security scanning completed",
        "User acceptance testing",
    ):
        assert text in ticked
    # 3. Run the probes: they pass, or warn (plain HTTP has no HSTS); ticking
    # an item whose probe warned accepts the warning.
    run = probes.probe_run_start(release=release, by=lead)
    run.refresh_from_db()
    assert run.status == ProbeRun.Status.WARNED
    assert sorted(run.results.values_list("status", flat=True)) == [
        "pass",
        "pass",
        "pass",
        "warn",
    ]
    assert len(_tick_open_items(release, engineer)) == 2
    # 4. Approve: the lead and the engineer sign the two roles left.
    for role_key, user in (("technical_lead", lead), ("operations", engineer)):
        signoffs.signoff_record(
            release=release, role_key=role_key, decision="approve", by=user
        )
    verdict = compute_readiness(release)
    assert (verdict.ready, verdict.score, verdict.blockers) == (True, 100, [])
    # 5. The gate agrees, and the lead can mark it ready.
    out = StringIO()
    call_command("gate", "storefront-api@2.4.0@staging", stdout=out)
    assert out.getvalue().startswith("READY: Storefront API 2.4.0 → staging")
    releases.release_transition(release=release, target="ready", by=lead)
    release.refresh_from_db()
    assert release.status == "ready"


def test_the_demo_has_six_months_of_production_history_for_two_services(demo):
    from datetime import timedelta

    from django.utils import timezone

    from apps.insights.metrics import Scope, delivery_metrics

    now = timezone.now()
    found = delivery_metrics(Scope(since=now - timedelta(weeks=26), until=now))

    services = {row["service_name"]: row for row in found["by_service"]}
    assert set(services) == {"Storefront API", "Search"}
    weeks = found["deployment_frequency"]["series"]
    assert sum(1 for week in weeks if week["deploys"]) >= 24
    assert found["change_fail_rate"]["numerator"] > 0
    assert found["rework_rate"]["numerator"] > 0
    assert found["change_lead_time"]["sample_size"] > 100
