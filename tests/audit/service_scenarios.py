"""One or more calls of every writing service, on real data, for the audit test.

A scenario takes the World (the objects it needs, made on first use through
the services themselves) and returns the call to observe, not yet made: only
the call is compared with its audit events, not what the scenario set up.
"""

from collections.abc import Callable
from datetime import date, time, timedelta
from functools import cached_property, partial

from django.utils import timezone

from apps.accounts import services as accounts
from apps.audit import services as audit
from apps.catalog import services as catalog
from apps.checklists import services as checklists
from apps.contacts import services as contacts
from apps.contacts.models import Contact, SupportResource
from apps.incidents import services as incidents
from apps.integrations import services as integrations
from apps.integrations.gitlab import BlockedDeployment
from apps.integrations.models import WebhookDelivery as InboundDelivery
from apps.integrations.services import ci, gates
from apps.maintenance import services as maintenance
from apps.monitoring import services as monitoring
from apps.notifications import services as notifications
from apps.notifications.models import WebhookDelivery
from apps.oncall import services as oncall
from apps.policy import services as policy
from apps.probes import services as probes
from apps.probes.models import ProbeRun
from apps.records import services as records
from apps.releases import services as releases
from apps.signoffs import services as signoffs
from tests import factories
from tests.api.conftest import make_ready

Call = Callable[[], object]
MARKDOWN = "# Small\n\n## Pre-Deployment\n\n### 1. Checks\n\n- [ ] Tests pass\n"
SCENARIOS: dict[str, list[Callable[["World"], Call]]] = {}


class World:
    """A team with a lead and an engineer, an environment, the default template,
    a release in progress, and whatever else a scenario asks for."""

    def __init__(self, team, lead, engineer, environment, template, release):
        self.team, self.lead, self.engineer = team, lead, engineer
        self.environment, self.template = environment, template
        self.release = release

    @cached_property
    def second_lead(self):
        return factories.member(self.team, "lead")

    @cached_property
    def admin(self):
        return factories.member(self.team, "admin")

    @cached_property
    def group(self):
        return accounts.signoff_group_create(
            team=self.team, name="Security reviewers", by=self.admin
        )

    @cached_property
    def ready(self):
        make_ready(self.release, self.lead)
        return releases.release_transition(
            release=self.release, target="ready", by=self.lead
        )

    @cached_property
    def config(self):
        return probes.probe_config_save(
            environment=self.environment,
            by=self.lead,
            name="Health",
            kind="http",
            target="http://127.0.0.1:9/health",
        )

    @cached_property
    def schedule(self):
        return monitoring.probe_schedule_save(
            config=self.config, by=self.lead, kind="interval", interval_minutes=5
        )

    @cached_property
    def run(self) -> ProbeRun:
        self.config  # noqa: B018 (a run needs a probe)
        return probes.probe_run_start(release=self.release, by=self.lead)

    @cached_property
    def plan(self):
        return maintenance.maintenance_plan_save(
            environment=self.environment, template=self.template, by=self.lead
        )

    @cached_property
    def checklist(self):
        self.plan  # noqa: B018
        maintenance.maintenance_checklists_create_due()
        return self.plan.checklists.order_by("id").first()

    @cached_property
    def rotation(self):
        return oncall.rotation_save(
            team=self.team,
            by=self.lead,
            time_zone="UTC",
            handover_weekday=0,
            handover_time=time(9, 0),
            starts_on=date(2026, 1, 5),
            members=[self.lead, self.engineer],
        )

    @cached_property
    def waiver(self):
        item = self.release.items.filter(phase="pre_deployment", kind="check").first()
        return policy.waiver_request(
            release=self.release,
            blocker_type="item",
            blocker_id=item.pk,
            reason="Checked by hand",
            expires_at=timezone.now() + timedelta(hours=2),
            by=self.lead,
        )

    @cached_property
    def freeze(self):
        return policy.freeze_window_save(
            environment=self.environment,
            by=self.lead,
            name="Holidays",
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=2),
        )

    @cached_property
    def exception(self):
        return policy.emergency_exception_request(
            release=self.release,
            reason="Security fix",
            expires_at=timezone.now() + timedelta(hours=2),
            by=self.lead,
        )

    @cached_property
    def webhook(self):
        hook, _secret = notifications.webhook_create(
            team=self.team,
            name="bot",
            url="http://127.0.0.1:9/hook",
            events=["release.ready"],
            by=self.lead,
        )
        return hook


def scenario(service: Callable) -> Callable:
    """Register the decorated function as a scenario of `service`."""

    def register(build: Callable[[World], Call]) -> Callable[[World], Call]:
        name = f"{service.__module__}.{service.__name__}"
        SCENARIOS.setdefault(name, []).append(build)
        return build

    return register


# accounts, audit, checklists, records --------------------------------------------


@scenario(accounts.team_create)
def _(w: World) -> Call:
    return partial(accounts.team_create, name="Payments", by=None)


@scenario(accounts.membership_set)
def _(w: World) -> Call:
    return partial(
        accounts.membership_set, team=w.team, user=w.engineer, role="lead", by=None
    )


@scenario(accounts.membership_set)
def _(w: World) -> Call:
    newcomer = factories.UserFactory()
    return partial(
        accounts.membership_set, team=w.team, user=newcomer, role="auditor", by=None
    )


@scenario(accounts.membership_remove)
def _(w: World) -> Call:
    membership = w.engineer.memberships.get(team=w.team)
    return partial(accounts.membership_remove, membership=membership, by=None)


@scenario(audit.audit_head_publish)
def _(w: World) -> Call:
    return audit.audit_head_publish


@scenario(audit.audit_prune)
def _(w: World) -> Call:
    return audit.audit_prune


@scenario(audit.audit_verify_scheduled)
def _(w: World) -> Call:
    return audit.audit_verify_scheduled


@scenario(checklists.template_import)
def _(w: World) -> Call:
    return partial(checklists.template_import, source=MARKDOWN, by=w.lead, team=w.team)


@scenario(checklists.template_change)
def _(w: World) -> Call:
    # The team's lead changes the shared default: the team's own version is made.
    item = w.template.phases.get(kind="pre_deployment").items.first()
    return partial(
        checklists.template_change,
        template=w.template,
        by=w.lead,
        team=w.team,
        advisory_items={item.text},
    )


@scenario(checklists.template_change)
def _(w: World) -> Call:
    own = checklists.template_import(
        source=MARKDOWN, name="ours", team=w.team, by=w.lead
    )
    return partial(
        checklists.template_change,
        template=own,
        by=w.lead,
        options={"allow_creator_approval": False},
    )


@scenario(checklists.signoff_eligibility_set)
def _(w: World) -> Call:
    return partial(
        checklists.signoff_eligibility_set,
        team=w.team,
        role_key=w.release.signoff_roles[0]["key"],
        team_roles=["lead"],
        users=[w.engineer],
        groups=[w.group],
        by=w.lead,
    )


@scenario(accounts.signoff_group_create)
def _(w: World) -> Call:
    return partial(
        accounts.signoff_group_create, team=w.team, name="Product owners", by=w.admin
    )


@scenario(accounts.signoff_group_rename)
def _(w: World) -> Call:
    return partial(
        accounts.signoff_group_rename, group=w.group, name="AppSec", by=w.admin
    )


@scenario(accounts.signoff_group_delete)
def _(w: World) -> Call:
    return partial(accounts.signoff_group_delete, group=w.group, by=w.admin)


@scenario(accounts.signoff_group_member_add)
def _(w: World) -> Call:
    return partial(
        accounts.signoff_group_member_add, group=w.group, user=w.engineer, by=w.admin
    )


@scenario(accounts.signoff_group_member_remove)
def _(w: World) -> Call:
    accounts.signoff_group_member_add(group=w.group, user=w.engineer, by=w.admin)
    return partial(
        accounts.signoff_group_member_remove, group=w.group, user=w.engineer, by=w.admin
    )


@scenario(checklists.template_ensure_default)
def _(w: World) -> Call:
    return checklists.template_ensure_default


@scenario(records.deployment_record_export)
def _(w: World) -> Call:
    return partial(
        records.deployment_record_export, release=w.release, fmt="json", by=w.lead
    )


@scenario(records.audit_events_export)
def _(w: World) -> Call:
    return partial(
        records.audit_events_export, by=w.lead, fmt="csv", team_ids=[w.team.pk]
    )


# catalog, contacts ---------------------------------------------------------------


@scenario(catalog.service_create)
def _(w: World) -> Call:
    return partial(
        catalog.service_create,
        team=w.team,
        name="Payments",
        description="Takes the money.",
        repository_url="https://git.example.com/payments",
        by=w.lead,
    )


@scenario(catalog.service_update)
def _(w: World) -> Call:
    return partial(
        catalog.service_update,
        service=w.environment.service,
        name="Storefront",
        slug="storefront",
        description="The shop.",
        repository_url="https://git.example.com/shop",
        by=w.lead,
    )


@scenario(catalog.environment_create)
def _(w: World) -> Call:
    return partial(
        catalog.environment_create,
        service=w.environment.service,
        name="production",
        base_url="https://shop.example.com",
        api_url="https://api.shop.example.com",
        k8s_namespace="shop-prod",
        probe_zone="eu-west",
        notes="Blue/green.",
        by=w.lead,
    )


@scenario(catalog.environment_update)
def _(w: World) -> Call:
    return partial(
        catalog.environment_update,
        environment=w.environment,
        name="stage",
        base_url="https://stage.example.com",
        api_url="https://api.stage.example.com",
        k8s_namespace="shop-stage",
        probe_zone="eu-west",
        notes="Nightly data.",
        by=w.lead,
    )


@scenario(catalog.environment_update)
def _(w: World) -> Call:
    return partial(
        catalog.environment_update,
        environment=w.environment,
        production=True,
        by=w.lead,
    )


@scenario(contacts.contact_create)
def _(w: World) -> Call:
    return partial(
        contacts.contact_create,
        team=w.team,
        service=w.environment.service,
        role="DBA",
        name="Dana",
        email="dana@example.com",
        phone="+49 30 1234",
        escalation_order=2,
        by=w.lead,
    )


@scenario(contacts.contact_update)
def _(w: World) -> Call:
    contact = Contact.objects.create(team=w.team, role="DBA", phone="1")
    return partial(
        contacts.contact_update,
        contact=contact,
        service=w.environment.service,
        role="On-call DBA",
        name="Dana",
        email="dana@example.com",
        phone="2",
        escalation_order=3,
        by=w.lead,
    )


@scenario(contacts.contact_delete)
def _(w: World) -> Call:
    contact = Contact.objects.create(team=w.team, role="DBA", phone="1")
    return partial(contacts.contact_delete, contact=contact, by=w.lead)


@scenario(contacts.support_resource_create)
def _(w: World) -> Call:
    return partial(
        contacts.support_resource_create,
        team=w.team,
        service=w.environment.service,
        kind="status_page",
        label="Status",
        url="https://status.example.com",
        by=w.lead,
    )


@scenario(contacts.support_resource_update)
def _(w: World) -> Call:
    resource = SupportResource.objects.create(
        team=w.team, kind="documentation", label="Docs", url="https://docs.test/"
    )
    return partial(
        contacts.support_resource_update,
        resource=resource,
        service=w.environment.service,
        kind="team_chat",
        label="Chat",
        url="https://chat.example.com",
        by=w.lead,
    )


@scenario(contacts.support_resource_delete)
def _(w: World) -> Call:
    resource = SupportResource.objects.create(
        team=w.team, kind="documentation", label="Docs", url="https://docs.test/"
    )
    return partial(contacts.support_resource_delete, resource=resource, by=w.lead)


# maintenance, monitoring, notifications, on-call -------------------------------


@scenario(maintenance.maintenance_plan_save)
def _(w: World) -> Call:
    return partial(
        maintenance.maintenance_plan_save,
        environment=w.environment,
        template=w.template,
        by=w.lead,
        time_zone="Europe/Berlin",
        assignee=w.engineer,
    )


@scenario(maintenance.maintenance_plan_save)
def _(w: World) -> Call:
    w.plan  # noqa: B018 (changed, not created)
    return partial(
        maintenance.maintenance_plan_save,
        environment=w.environment,
        template=w.template,
        by=w.lead,
        assignee=w.engineer,
        enabled=False,
    )


@scenario(maintenance.maintenance_plan_delete)
def _(w: World) -> Call:
    w.checklist  # noqa: B018 (its untouched checklists go with it)
    return partial(maintenance.maintenance_plan_delete, plan=w.plan, by=w.lead)


@scenario(maintenance.maintenance_checklists_create_due)
def _(w: World) -> Call:
    w.plan  # noqa: B018
    return maintenance.maintenance_checklists_create_due


@scenario(maintenance.maintenance_tick)
def _(w: World) -> Call:
    w.checklist  # noqa: B018 (this period's exist: the tick makes later ones)
    later = timezone.now() + timedelta(days=40)
    return partial(maintenance.maintenance_tick, now=later)


@scenario(maintenance.maintenance_overdue_flag)
def _(w: World) -> Call:
    w.checklist  # noqa: B018
    later = timezone.now() + timedelta(days=40)
    return partial(maintenance.maintenance_overdue_flag, now=later)


@scenario(maintenance.maintenance_item_set_state)
def _(w: World) -> Call:
    return partial(
        maintenance.maintenance_item_set_state,
        item=w.checklist.items.first(),
        state="skipped",
        note="Not this week",
        by=w.engineer,
    )


@scenario(maintenance.maintenance_checklist_assign)
def _(w: World) -> Call:
    return partial(
        maintenance.maintenance_checklist_assign,
        checklist=w.checklist,
        assignee=w.engineer,
        by=w.lead,
    )


@scenario(monitoring.probe_schedule_save)
def _(w: World) -> Call:
    return partial(
        monitoring.probe_schedule_save,
        config=w.config,
        by=w.lead,
        kind="cron",
        cron_expression="*/5 * * * *",
        time_zone="Europe/Berlin",
    )


@scenario(monitoring.probe_schedule_save)
def _(w: World) -> Call:
    w.schedule  # noqa: B018 (changed, not created)
    return partial(
        monitoring.probe_schedule_save,
        config=w.config,
        by=w.lead,
        kind="daily",
        at_time=time(6, 30),
        enabled=False,
    )


@scenario(monitoring.probe_schedules_dispatch)
def _(w: World) -> Call:
    w.schedule  # noqa: B018
    return monitoring.probe_schedules_dispatch


@scenario(monitoring.environment_check_run)
def _(w: World) -> Call:
    return partial(
        monitoring.environment_check_run,
        schedule_id=w.schedule.pk,
        scheduled_for=timezone.now().isoformat(),
    )


@scenario(notifications.webhook_create)
def _(w: World) -> Call:
    return partial(
        notifications.webhook_create,
        team=w.team,
        name="deploy bot",
        url="http://127.0.0.1:9/deploys",
        events=["release.deployed", "release.overridden"],
        slack=True,
        by=w.lead,
    )


@scenario(notifications.webhook_update)
def _(w: World) -> Call:
    return partial(
        notifications.webhook_update,
        webhook=w.webhook,
        name="deploy bot",
        url="http://127.0.0.1:9/other",
        events=["release.deployed"],
        slack=True,
        active=False,
        by=w.lead,
    )


@scenario(notifications.webhook_delete)
def _(w: World) -> Call:
    return partial(notifications.webhook_delete, webhook=w.webhook, by=w.lead)


@scenario(notifications.webhook_delivery_resend)
def _(w: World) -> Call:
    gave_up = WebhookDelivery.objects.create(
        webhook=w.webhook, event="release.ready", body="{}", status="gave_up"
    )
    return partial(notifications.webhook_delivery_resend, attempt=gave_up, by=w.lead)


@scenario(integrations.github_mapping_create)
def _(w: World) -> Call:
    return partial(
        integrations.github_mapping_create,
        repository="acme/shop",
        environment_name="production",
        service=w.environment.service,
        environment=w.environment,
        by=w.lead,
    )


def _mapping(w: World):
    return integrations.github_mapping_create(
        repository="acme/shop",
        environment_name="production",
        service=w.environment.service,
        environment=w.environment,
        by=w.lead,
        installation_id=7,
    )


@scenario(integrations.github_mapping_delete)
def _(w: World) -> Call:
    return partial(integrations.github_mapping_delete, mapping=_mapping(w), by=w.lead)


@scenario(integrations.inbound_deliveries_prune)
def _(w: World) -> Call:
    old = timezone.now() - timedelta(days=31)
    for number in range(3):
        InboundDelivery.objects.create(
            source="github", delivery_id=f"old-{number}", event="ping", payload={}
        )
    InboundDelivery.objects.update(received_at=old)
    return partial(integrations.inbound_deliveries_prune, batch=2)


@scenario(integrations.gate_request_open)
def _(w: World) -> Call:
    _mapping(w)
    ask = gates.GateAsk(
        repository="acme/shop",
        environment_name="production",
        run_id=41,
        installation_id=7,
        sha="a" * 40,
        ref=f"refs/tags/{w.release.version}",
        callback_url="https://api.github.test/repos/acme/shop/actions/runs/41/"
        "deployment_protection_rule",
        delivery_id="d-1",
    )
    return partial(integrations.gate_request_open, ask)


@scenario(integrations.gitlab_mapping_create)
def _(w: World) -> Call:
    return partial(
        integrations.gitlab_mapping_create,
        project_path="acme/shop",
        environment_name="production",
        service=w.environment.service,
        environment=w.environment,
        access_token="glpat-scenario",
        by=w.lead,
    )


def _gitlab_mapping(w: World):
    return integrations.gitlab_mapping_create(
        project_path="acme/shop",
        environment_name="production",
        service=w.environment.service,
        environment=w.environment,
        by=w.lead,
    )


@scenario(integrations.gitlab_mapping_set_token)
def _(w: World) -> Call:
    return partial(
        integrations.gitlab_mapping_set_token,
        mapping=_gitlab_mapping(w),
        access_token="glpat-new",
        by=w.lead,
    )


@scenario(integrations.gitlab_mapping_delete)
def _(w: World) -> Call:
    return partial(
        integrations.gitlab_mapping_delete, mapping=_gitlab_mapping(w), by=w.lead
    )


def _ci_caller(w: World, version: str):
    _gitlab_mapping(w)
    return ci.ci_caller_from_claims(
        {
            "iss": "https://gitlab.test",
            "sub": "project_path:acme/shop:ref_type:tag:ref:" + version,
            "project_path": "acme/shop",
            "environment": "production",
            "ref": version,
            "ref_path": f"refs/tags/{version}",
            "sha": "c" * 40,
            "pipeline_id": "12",
            "job_id": "34",
        }
    )


@scenario(ci.ci_release_open)
def _(w: World) -> Call:
    return partial(ci.ci_release_open, caller=_ci_caller(w, "v7.7.7"))


@scenario(ci.mapped_release_open)
def _(w: World) -> Call:
    return partial(
        ci.mapped_release_open,
        mapping=_gitlab_mapping(w),
        version="v8.8.8",
        notes="Created for a test.",
    )


@scenario(ci.ci_claims_record)
def _(w: World) -> Call:
    caller = _ci_caller(w, w.release.version)
    return partial(ci.ci_claims_record, caller=caller, release=w.release)


@scenario(integrations.gitlab_deployment_open)
def _(w: World) -> Call:
    blocked = BlockedDeployment(
        id=501,
        environment="production",
        sha="d" * 40,
        ref=w.release.version,
        tag=True,
        job_id=7,
        pipeline_id=6,
    )
    return partial(
        integrations.gitlab_deployment_open,
        mapping=_gitlab_mapping(w),
        deployment=blocked,
    )


@scenario(releases.release_gate_request_set)
def _(w: World) -> Call:
    return partial(
        releases.release_gate_request_set,
        release=w.release,
        gate_request={"platform": "github", "sha": "b" * 40, "run_id": 42},
        actor_label="GitHub (delivery d-2)",
    )


@scenario(oncall.rotation_save)
def _(w: World) -> Call:
    w.rotation  # noqa: B018 (changed, not created)
    return partial(
        oncall.rotation_save,
        team=w.team,
        by=w.lead,
        time_zone="Europe/Berlin",
        handover_weekday=2,
        handover_time=time(10, 30),
        starts_on=date(2026, 1, 7),
        members=[w.engineer, w.lead],
    )


@scenario(oncall.override_add)
def _(w: World) -> Call:
    return partial(
        oncall.override_add,
        rotation=w.rotation,
        user=w.engineer,
        starts_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=5),
        reason="Swap",
        by=w.lead,
    )


@scenario(oncall.override_delete)
def _(w: World) -> Call:
    override = oncall.override_add(
        rotation=w.rotation,
        user=w.engineer,
        starts_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=5),
        by=w.lead,
    )
    return partial(oncall.override_delete, override=override, by=w.lead)


@scenario(oncall.rotation_delete)
def _(w: World) -> Call:
    oncall.override_add(
        rotation=w.rotation,
        user=w.engineer,
        starts_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=5),
        reason="Swap",
        by=w.lead,
    )
    return partial(oncall.rotation_delete, rotation=w.rotation, by=w.lead)


# policy --------------------------------------------------------------------------


@scenario(policy.waiver_request)
def _(w: World) -> Call:
    return lambda: w.waiver


@scenario(policy.waiver_decline)
def _(w: World) -> Call:
    return partial(policy.waiver_decline, waiver=w.waiver, by=w.second_lead)


@scenario(policy.waiver_approve)
def _(w: World) -> Call:
    return partial(policy.waiver_approve, waiver=w.waiver, by=w.second_lead)


@scenario(policy.freeze_window_save)
def _(w: World) -> Call:
    return lambda: w.freeze


@scenario(policy.freeze_window_save)
def _(w: World) -> Call:
    return partial(
        policy.freeze_window_save,
        environment=w.environment,
        by=w.lead,
        name="Weekend",
        reason="Few people around",
        cron="0 18 * * fri",
        time_zone="Europe/Berlin",
        duration_minutes=60 * 60,
        window=w.freeze,
    )


@scenario(policy.freeze_window_delete)
def _(w: World) -> Call:
    return partial(policy.freeze_window_delete, window=w.freeze, by=w.lead)


@scenario(policy.emergency_exception_request)
def _(w: World) -> Call:
    return lambda: w.exception


@scenario(policy.emergency_exception_approve)
def _(w: World) -> Call:
    return partial(
        policy.emergency_exception_approve, exception=w.exception, by=w.second_lead
    )


# probes --------------------------------------------------------------------------


@scenario(probes.probe_config_save)
def _(w: World) -> Call:
    return lambda: w.config


@scenario(probes.probe_config_save)
def _(w: World) -> Call:
    return partial(
        probes.probe_config_save,
        environment=w.environment,
        by=w.lead,
        name="Health check",
        kind="http",
        target="http://127.0.0.1:9/healthz",
        options={"expect_status": "204"},
        timeout=3,
        enabled=False,
        config=w.config,
    )


@scenario(probes.probe_configs_create_defaults)
def _(w: World) -> Call:
    return partial(
        probes.probe_configs_create_defaults,
        environment=w.environment,
        template=w.template,
        by=w.lead,
    )


@scenario(probes.probe_run_start)
def _(w: World) -> Call:
    w.config  # noqa: B018
    return partial(probes.probe_run_start, release=w.release, by=w.lead)


@scenario(probes.probe_run_dispatch)
def _(w: World) -> Call:
    return partial(probes.probe_run_dispatch, run_id=w.run.pk)


@scenario(probes.probe_batch_execute)
def _(w: World) -> Call:
    return partial(
        probes.probe_batch_execute, run_id=w.run.pk, config_ids=w.run.config_ids
    )


@scenario(probes.probe_run_finish_if_complete)
def _(w: World) -> Call:
    return partial(
        probes.probe_run_finish_if_complete,
        run_id=w.run.pk,
        lost_reason="the worker was lost",
    )


@scenario(probes.probe_runs_sweep)
def _(w: World) -> Call:
    past = timezone.now() - timedelta(minutes=1)
    ProbeRun.objects.filter(pk=w.run.pk).update(deadline=past)
    return probes.probe_runs_sweep


@scenario(probes.probe_test_config)
def _(w: World) -> Call:
    return partial(probes.probe_test_config, config=w.config, by=w.lead)


@scenario(probes.team_network_add)
def _(w: World) -> Call:
    return partial(
        probes.team_network_add,
        team=w.team,
        cidr="10.20.0.0/16",
        ports="5432",
        note="Database network",
        by=w.admin,
    )


# releases and sign-offs ------------------------------------------------------------


@scenario(releases.release_create)
def _(w: World) -> Call:
    return partial(
        releases.release_create,
        service=w.environment.service,
        environment=w.environment,
        template=w.template,
        version="3.0.0",
        planned_for=timezone.now() + timedelta(days=1),
        notes="The new checkout",
        by=w.lead,
    )


@scenario(releases.release_create)
def _(w: World) -> Call:
    return partial(
        releases.release_create,
        service=w.environment.service,
        environment=w.environment,
        template=w.template,
        version="3.0.1",
        kind="hotfix",
        remediates=w.release,
        commits=[{"sha": "3f2a9c1d", "committed_at": timezone.now()}],
        by=w.lead,
    )


def _deployed(w: World):
    return releases.release_transition(
        release=w.release, target="deployed", override=True, reason="Fix", by=w.lead
    )


@scenario(releases.release_delivery_record)
def _(w: World) -> Call:
    earlier = factories.release_open(w.environment, w.template, w.lead, "0.9")
    return partial(
        releases.release_delivery_record,
        release=w.release,
        kind="hotfix",
        remediates=earlier,
        commits=[{"sha": "a0b1c2d3e4", "committed_at": timezone.now()}],
        by=w.lead,
    )


@scenario(releases.release_delivery_record)
def _(w: World) -> Call:
    deployed = _deployed(w)
    return partial(
        releases.release_delivery_record,
        release=deployed,
        deploy_result="failed",
        deploy_finished_at=deployed.deployed_at + timedelta(minutes=9),
        by=w.lead,
    )


@scenario(releases.release_delivery_record)
def _(w: World) -> Call:
    earlier = factories.deployed(
        factories.release_open(w.environment, w.template, w.lead, "0.9"), w.lead
    )
    rolled = releases.release_transition(
        release=_deployed(w), target="rolled_back", reason="Errors", by=w.lead
    )
    return partial(
        releases.release_delivery_record,
        release=rolled,
        rolled_back_to=earlier,
        by=w.lead,
    )


@scenario(releases.release_commits_fill)
def _(w: World) -> Call:
    return partial(
        releases.release_commits_fill,
        release=w.release,
        commits=[
            {"sha": "c0ffee" * 6 + "beef", "committed_at": timezone.now()},
            {"sha": "a0b1c2d3e4", "committed_at": timezone.now()},
        ],
        actor_label="GitHub deployment protection rule (run 42)",
    )


@scenario(releases.release_update)
def _(w: World) -> Call:
    return partial(
        releases.release_update,
        release=w.release,
        planned_for=timezone.now() + timedelta(days=3),
        notes="Moved to Thursday",
        by=w.lead,
    )


@scenario(releases.release_transition)
def _(w: World) -> Call:
    return partial(
        releases.release_transition,
        release=w.release,
        target="deployed",
        override=True,
        reason="Hotfix",
        notes="Canary clean",
        by=w.lead,
    )


@scenario(releases.release_transition)
def _(w: World) -> Call:
    make_ready(w.release, w.lead)
    return partial(
        releases.release_transition, release=w.release, target="ready", by=w.lead
    )


@scenario(releases.release_transition)
def _(w: World) -> Call:
    releases.release_transition(
        release=w.release, target="ready", by=w.lead, override=True, reason="Demo"
    )
    return partial(
        releases.release_transition,
        release=w.release,
        target="in_progress",
        by=w.lead,
    )


@scenario(releases.release_transition)
def _(w: World) -> Call:
    releases.release_transition(release=w.ready, target="deployed", by=w.lead)
    return partial(
        releases.release_transition,
        release=w.ready,
        target="rolled_back",
        reason="Errors",
        by=w.second_lead,
    )


@scenario(releases.release_transition)
def _(w: World) -> Call:
    return partial(
        releases.release_transition,
        release=w.release,
        target="cancelled",
        reason="Superseded",
        by=w.lead,
    )


@scenario(releases.release_item_set_state)
def _(w: World) -> Call:
    return partial(
        releases.release_item_set_state,
        item=w.release.items.filter(kind="check").first(),
        state="blocked",
        note="Waiting for the vendor",
        by=w.engineer,
    )


@scenario(signoffs.signoff_record)
def _(w: World) -> Call:
    return partial(
        signoffs.signoff_record,
        release=w.release,
        role_key=w.release.signoff_roles[0]["key"],
        decision="reject",
        comment="Runbook incomplete",
        by=w.engineer,
    )


@scenario(signoffs.signoff_request)
def _(w: World) -> Call:
    return partial(
        signoffs.signoff_request,
        release=w.release,
        role_key=w.release.signoff_roles[0]["key"],
        person=w.engineer,
        note="Before Friday, please",
        by=w.lead,
    )


# incidents ------------------------------------------------------------------------


def _incident(w: World, **fields):
    return incidents.incident_create(
        service=w.environment.service,
        title="Checkout returns 502",
        started_at=timezone.now() - timedelta(hours=2),
        by=w.engineer,
        **fields,
    )


@scenario(incidents.incident_create)
def _(w: World) -> Call:
    now = timezone.now()
    return partial(
        incidents.incident_create,
        service=w.environment.service,
        title="Checkout returns 502",
        severity="sev2",
        user_facing=False,
        started_at=now - timedelta(hours=3),
        detected_at=now - timedelta(hours=2),
        mitigated_at=now - timedelta(hours=1),
        resolved_at=now - timedelta(minutes=5),
        caused_by=w.release,
        external_id="PD-1",
        by=w.engineer,
    )


@scenario(incidents.incident_update)
def _(w: World) -> Call:
    return partial(
        incidents.incident_update,
        incident=_incident(w),
        severity="sev1",
        mitigated_at=timezone.now() - timedelta(hours=1),
        remediated_by=w.release,
        by=w.engineer,
    )


@scenario(incidents.incident_report)
def _(w: World) -> Call:
    return partial(
        incidents.incident_report,
        service=w.environment.service,
        external_id="PD-2",
        title="Search is slow",
        started_at=timezone.now() - timedelta(hours=1),
        by=w.engineer,
    )


@scenario(incidents.incident_report)
def _(w: World) -> Call:
    incident = _incident(w, external_id="PD-3", source="webhook")
    return partial(
        incidents.incident_report,
        service=w.environment.service,
        external_id=incident.external_id,
        title="Search is slow again",
        started_at=incident.started_at,
        resolved_at=timezone.now(),
        by=w.engineer,
    )
