"""Single sign-on's configuration: the role map, oidc_check, the admin, settings."""

import datetime
import json
import secrets
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import Membership
from apps.accounts.sso import rolemap
from tests import factories
from tests.core.test_security import PRODUCTION, _run

TODAY = datetime.date(2026, 12, 4)


def grants(rules_yaml: list[dict], claims: dict, today=TODAY) -> rolemap.Grants:
    return rolemap.evaluate(
        rolemap.parse(rules_yaml), claims, groups_claim="groups", today=today
    )


def test_the_strongest_role_wins_and_every_team_rules_reach_all_teams():
    rules = [
        {"group": "devs", "team": "platform", "role": "engineer"},
        {"group": "leads", "team": "platform", "role": "lead"},
        {"group": "audit", "every_team": True, "role": "auditor"},
        {"claim": "department", "value": "sre", "team": "ops", "role": "engineer"},
    ]
    given = grants(rules, {"groups": ["devs", "leads", "audit"], "department": "sre"})

    assert given.role_for("platform") == "lead"
    assert given.role_for("ops") == "engineer"
    assert given.role_for("anything") == "auditor"


def test_a_rule_past_its_until_day_gives_nothing():
    rules = [
        {"group": "audit", "every_team": True, "role": "auditor", "until": "2026-12-03"}
    ]

    assert grants(rules, {"groups": ["audit"]}).empty
    assert not grants(rules, {"groups": ["audit"]}, today=TODAY.replace(day=3)).empty


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"group": "a", "team": "t", "role": "boss"}, "role must be one of"),
        ({"group": "a", "role": "lead"}, "either team, or every_team"),
        ({"group": "a", "team": "t", "role": "lead", "colour": "red"}, "unknown key"),
        ({"team": "t", "role": "lead"}, "either group, or claim"),
        ({"group": "a", "team": "t"}, "a role, a signoff_group"),
        ({"group": "a", "team": "t", "role": "lead", "until": "soon"}, "YYYY-MM-DD"),
    ],
)
def test_a_malformed_rule_is_named_with_its_number(rule, message):
    with pytest.raises(rolemap.RoleMapError) as error:
        rolemap.parse({"rules": [{"group": "x", "team": "t", "role": "lead"}, rule]})

    assert str(error.value).startswith("rule 2:")
    assert message in str(error.value)


def test_oidc_check_prints_discovery_keys_and_what_the_map_gives(sso, oidc_provider):
    out = StringIO()
    call_command(
        "oidc_check",
        "--claims",
        json.dumps({"groups": ["platform-leads", "audit"]}),
        stdout=out,
    )
    text = out.getvalue()

    assert f"issuer: {oidc_provider.issuer}" in text
    kid = oidc_provider.jwks()["keys"][0]["kid"]
    assert f"kid={kid} kty=RSA" in text
    assert "team platform: lead" in text
    assert "team payments: auditor" in text
    assert "matched: group audit -> every team: auditor until 2999-12-31" in text


def test_oidc_check_says_who_would_be_refused_and_fails_on_a_bad_map(
    sso, settings, tmp_path
):
    out = StringIO()
    call_command("oidc_check", "--claims", '{"groups": ["nobody"]}', stdout=out)
    assert "nothing: this person would be refused" in out.getvalue()

    broken = tmp_path / "broken.json"
    broken.write_text('[{"group": "a", "team": "platform", "role": "chief"}]')
    settings.OIDC_ROLE_MAP = str(broken)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("oidc_check", stdout=out)
    assert "invalid: rule 1: role must be one of" in out.getvalue()


def test_the_admin_shows_where_each_membership_came_from(client, team):
    operator = factories.UserFactory(is_superuser=True, is_staff=True)
    member = factories.member(team, "engineer")
    Membership.objects.filter(user=member).update(source="external")
    client.force_login(operator)

    page = client.get("/admin/accounts/membership/").content.decode()

    assert "Single sign-on" in page


def test_setting_a_role_by_hand_makes_a_membership_local(team):
    from apps.accounts import services

    member = factories.member(team, "engineer")
    Membership.objects.filter(user=member).update(source="external")
    services.membership_set(team=team, user=member, role="lead", by=None)

    assert Membership.objects.get(user=member).source == "local"


CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "DEBUG"]
SSO_ON = {
    **PRODUCTION,
    "OIDC_ISSUER": "https://keycloak.example.com/realms/acme",
    "OIDC_CLIENT_ID": "shipshape",
    "OIDC_CLIENT_SECRET": secrets.token_urlsafe(32),
    "OIDC_LOCAL_LOGIN": "break-glass",
}


def test_check_deploy_is_silent_with_single_sign_on_on(tmp_path):
    role_map = tmp_path / "roles.yaml"
    role_map.write_text("- {group: leads, team: platform, role: lead}\n")
    done = _run(CHECK_DEPLOY, {**SSO_ON, "OIDC_ROLE_MAP": str(role_map)})

    assert done.returncode == 0, done.stderr + done.stdout
    assert "System check identified no issues (0 silenced)." in done.stdout


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET"),
        ({"OIDC_LOCAL_LOGIN": "sometimes"}, "OIDC_LOCAL_LOGIN"),
    ],
)
def test_incomplete_single_sign_on_settings_stop_startup_naming_them(changes, named):
    done = _run(CHECK_DEPLOY, {**SSO_ON, **changes})

    assert done.returncode != 0
    assert named in done.stderr
    assert "Traceback" not in done.stderr.splitlines()[-1]


def test_with_single_sign_on_on_beat_checks_token_holders_twice_a_minute():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "entry = settings.CELERY_BEAT_SCHEDULE['sso-token-check']; "
        "print(entry['task'], entry['schedule'])"
    )
    done = _run(["-c", code], {**SSO_ON, "DJANGO_SETTINGS_MODULE": "config.settings"})

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["apps.accounts.tasks.sso_token_check", "30.0"]


def test_check_deploy_names_a_broken_role_map(tmp_path):
    role_map = tmp_path / "roles.yaml"
    role_map.write_text("- {group: leads, team: platform, role: chief}\n")
    done = _run(CHECK_DEPLOY, {**SSO_ON, "OIDC_ROLE_MAP": str(role_map)})

    assert done.returncode != 0
    assert "shipshape.E101" in done.stderr
    assert "OIDC_ROLE_MAP: rule 1: role must be one of" in done.stderr
