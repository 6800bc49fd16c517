"""Readiness as code: the YAML round trip, and files that are refused whole."""

import re
from datetime import UTC, datetime, time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEvent
from apps.checklists.models import RunbookEntry, TemplateItem
from apps.monitoring import services as monitoring
from apps.monitoring.models import ProbeSchedule
from apps.policy import policyfile, services
from apps.policy.models import FreezeWindow
from apps.probes import services as probe_services
from apps.probes.models import ProbeConfig
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(environment, template, lead):
    """The default template's probes, an advisory item, a secret by name, a
    runbook link and both kinds of freeze window."""
    probe_services.probe_configs_create_defaults(
        environment=environment, template=template, by=lead
    )
    probe_services.probe_config_save(
        environment=environment,
        by=lead,
        name="Error rate",
        kind="prometheus",
        target="http://127.0.0.1:9090",
        options={"query": "sum(rate(errors[5m]))", "threshold": "0.001"},
        secret_env="SHIPSHAPE_PROBE_SECRET_PROMETHEUS_TOKEN",
    )
    ProbeConfig.objects.filter(name="Rate limiting").update(severity="advisory")
    monitoring.probe_schedule_save(
        config=ProbeConfig.objects.get(name="Health endpoint"),
        by=lead,
        kind="interval",
        interval_minutes=5,
    )
    monitoring.probe_schedule_save(
        config=ProbeConfig.objects.get(name="Error rate"),
        by=lead,
        kind="daily",
        at_time=time(10, 30),
        time_zone="Europe/Berlin",
    )
    TemplateItem.objects.filter(
        phase__template=template, text__iexact="Response times acceptable"
    ).update(severity="advisory")
    RunbookEntry.objects.filter(template=template, position=0).update(
        probe_kinds=["postgres"], sections=["Database"]
    )
    services.freeze_window_save(
        environment=environment,
        by=lead,
        name="Weekend",
        cron="0 18 * * fri",
        time_zone="Europe/Berlin",
        duration_minutes=3 * 24 * 60,
        reason="Nobody on call",
    )
    services.freeze_window_save(
        environment=environment,
        by=lead,
        name="Holidays",
        starts_at=datetime(2026, 12, 20, tzinfo=UTC),
        ends_at=datetime(2027, 1, 4, tzinfo=UTC),
    )
    return policyfile.policy_export(environment, template)


def test_the_default_policy_round_trips_without_loss(
    policy, environment, template, lead
):
    counts = policyfile.policy_import(policy, by=lead)

    assert counts == {"items_changed": 0, "probes": 5, "freeze_windows": 2}
    assert policyfile.policy_export(environment, template) == policy
    assert "Response times acceptable" in policy
    assert "SHIPSHAPE_PROBE_SECRET_PROMETHEUS_TOKEN" in policy
    assert "cron: 0 18 * * fri" in policy
    assert "interval_minutes: 5.0" in policy
    assert "at_time: '10:30:00'" in policy


def test_a_policy_file_sets_up_another_environment_identically(
    policy, environment, template, lead
):
    other = factories.EnvironmentFactory(service=environment.service, name="canary")
    text = policy.replace(f"name: {environment.name}\n", "name: canary\n", 1)

    policyfile.policy_import(text, by=lead)

    assert policyfile.policy_export(other, template) == text
    assert FreezeWindow.objects.filter(environment=other).count() == 2
    assert ProbeSchedule.objects.filter(config__environment=other).count() == 2


def test_secrets_are_never_exported(environment, template, lead):
    probe_services.probe_config_save(
        environment=environment,
        by=lead,
        name="Database",
        kind="postgres",
        target="postgres://app@127.0.0.1:5432/app",
        secret="hunter2-secret-password",
    )
    text = policyfile.policy_export(environment, template)

    assert "hunter2" not in text
    assert ProbeConfig.objects.get(name="Database").secret_encrypted not in text


def test_malformed_yaml_is_refused_with_its_line_and_changes_nothing(
    policy, environment, lead
):
    broken = policy.replace("probes:\n", "probes:\n  - name: [unclosed\n", 1)
    line = broken.splitlines().index("  - name: [unclosed") + 1
    events = AuditEvent.objects.count()

    with pytest.raises(policyfile.PolicyFileError) as refused:
        policyfile.policy_import(broken, by=lead)

    assert refused.value.problems[0].startswith(f"line {line + 1}: not valid YAML")
    assert AuditEvent.objects.count() == events


def test_unknown_keys_are_refused_with_their_lines_and_change_nothing(
    policy, environment, template, lead
):
    text = policy.replace(
        "  severity: advisory\n", "  severity: advisory\n  colour: red\n", 1
    )
    text = text.replace("- name: Weekend\n", "- name: Weekend\n  weekly: true\n", 1)
    text = text.replace("cron: 0 18 * * fri", "cron: 0 19 * * fri", 1)
    lines = text.splitlines()

    with pytest.raises(policyfile.PolicyFileError) as refused:
        policyfile.policy_import(text, by=lead)

    assert refused.value.problems == [
        f"line {lines.index('  colour: red') + 1}: unknown key 'colour' in probes",
        f"line {lines.index('  weekly: true') + 1}: "
        "unknown key 'weekly' in freeze_windows",
    ]
    assert FreezeWindow.objects.get(name="Weekend").cron == "0 18 * * fri"
    assert policyfile.policy_export(environment, template) == policy


def test_a_problem_found_while_applying_rolls_back_the_whole_file(
    policy, environment, template, lead
):
    text = policy.replace("cron: 0 18 * * fri", "cron: 0 19 * * fri", 1)
    text = text.replace("timeout: 10.0", "timeout: 99.0", 1)

    with pytest.raises(policyfile.PolicyFileError) as refused:
        policyfile.policy_import(text, by=lead)

    assert "timeout" in refused.value.problems[0]
    assert refused.value.problems[0].startswith("line ")
    assert FreezeWindow.objects.get(name="Weekend").cron == "0 18 * * fri"
    assert policyfile.policy_export(environment, template) == policy


def test_the_commands_export_and_import(policy, environment, lead, tmp_path, auditor):
    out = StringIO()
    call_command(
        "policy_export", f"{environment.service.slug}/{environment.name}", stdout=out
    )
    assert out.getvalue() == policy
    path = tmp_path / "policy.yaml"
    path.write_text(policy.replace("reason: Nobody on call", "reason: Skeleton crew"))

    done = StringIO()
    call_command("policy_import", str(path), "--user", lead.username, stdout=done)

    assert "Applied: 5 probes, 2 freeze windows" in done.getvalue()
    assert FreezeWindow.objects.get(name="Weekend").reason == "Skeleton crew"
    with pytest.raises(CommandError, match="does not allow"):
        call_command("policy_import", str(path), "--user", auditor.username)


def test_a_schedule_left_out_of_the_file_is_removed(policy, environment, lead):
    text = re.sub(r"  schedule:\n    kind: interval\n(    .*\n)*", "", policy, count=1)
    assert text != policy

    policyfile.policy_import(text, by=lead)

    assert not ProbeSchedule.objects.filter(config__name="Health endpoint").exists()
    event = AuditEvent.objects.filter(action="policy.imported").latest("seq")
    assert event.after["schedules_removed"] == ["Health endpoint"]
