"""The verdict cannot be walked around, over random sequences of changes (issue 17).

Hypothesis plays random sequences of ticks, sign-offs, probe runs, freezes and
status changes (with and without an override) against one small release, all
through the services. Before each status change the test asks
compute_readiness() itself, so it knows the verdict at the moment of the move.
After every step:

- a release in `ready` or `deployed` without an override entered that status
  on a ready verdict;
- every override lists the blockers the verdict named at that moment, and an
  override into `ready` lists at least one (without blockers it is no override).

A small checklist (three gating items, two sign-off roles, one probe that
verifies an item) keeps each sequence fast: about 20 to 40 seconds in all on
a loaded machine.
"""

from contextlib import suppress
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from apps.checklists import services as checklists
from apps.checklists.models import TemplateItem
from apps.policy import services as policy
from apps.policy.models import FreezeWindow
from apps.probes import services as probes
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.readiness.readiness import compute_readiness
from apps.releases import services as releases
from apps.releases.lifecycle import OPEN_STATUSES, VERDICT_REQUIRED
from apps.releases.models import Release
from apps.signoffs import services as signoffs
from tests import factories

pytestmark = pytest.mark.django_db
TINY = """# Tiny

## Pre-Deployment

### 1. Checks

- [ ] Tests pass
- [ ] Security headers configured
- [ ] Backups verified

## Sign-Off

- [ ] Technical Lead approval
- [ ] Security review completed
"""
STATUSES = [status.value for status in Release.Status]
TICK = st.tuples(
    st.just("tick"),
    st.integers(0, 2),
    st.sampled_from(["done", "done", "open", "na", "blocked"]),
)
SIGNOFF = st.tuples(
    st.just("signoff"),
    st.integers(0, 1),
    st.sampled_from(["approve", "approve", "reject"]),
    st.integers(0, 2),
)
PROBE = st.tuples(st.just("probe"), st.sampled_from(["pass", "pass", "fail", "warn"]))
FREEZE = st.tuples(st.just("freeze"), st.booleans())
MOVE = st.tuples(
    st.just("move"),
    st.sampled_from(STATUSES + ["ready", "deployed", "ready", "deployed"]),
    st.booleans(),
)
SETTLE = st.tuples(st.just("settle"))
DEPLOY = [("move", "deployed", False), ("move", "deployed", True)]
# Moves weigh most: they are what the invariants are about.
OPS = st.sampled_from([TICK, SIGNOFF, PROBE, FREEZE, MOVE, MOVE, MOVE, SETTLE]).flatmap(
    lambda strategy: strategy
)


class Sequence:
    """One release and the people and probe that act on it."""

    count = 0

    def __init__(self, team, template, lead, people) -> None:
        Sequence.count += 1
        self.lead, self.people = lead, people
        self.environment = factories.EnvironmentFactory(service__team=team)
        self.release = releases.release_create(
            service=self.environment.service,
            environment=self.environment,
            template=template,
            version=f"1.0.{Sequence.count}",
            by=lead,
        )
        self.items = [
            item
            for item in self.release.items.order_by("position")
            if item.gates_readiness
        ]
        self.config = ProbeConfig.objects.create(
            environment=self.environment,
            name="Security headers",
            kind="headers",
            target="https://shop.test/",
        )
        self.config.verifies.set(
            TemplateItem.objects.filter(
                phase__template=template, text="Security headers configured"
            )
        )
        # The verdict at each move into ready or deployed, by status.
        self.entered: dict[str, list[dict]] = {}

    def apply(self, op: tuple) -> None:
        kind, *args = op
        # A refused step changes nothing; the invariants must hold either way.
        with suppress(ValidationError, PermissionDenied):
            getattr(self, kind)(*args)

    def settle(self) -> None:
        """What a team does before a release: every item, sign-off and probe."""
        for index in range(len(self.items)):
            self.apply(("tick", index, "done"))
        for role in range(len(self.release.signoff_roles)):
            self.apply(("signoff", role, "approve", role))
        self.apply(("probe", "pass"))

    def tick(self, index: int, state: str) -> None:
        note = "Checked elsewhere" if state in ("na", "blocked") else ""
        releases.release_item_set_state(
            item=self.items[index], state=state, note=note, by=self.lead
        )

    def signoff(self, role: int, decision: str, person: int) -> None:
        signoffs.signoff_record(
            release=self.release,
            role_key=self.release.signoff_roles[role]["key"],
            decision=decision,
            comment="Not yet" if decision == "reject" else "",
            by=self.people[person],
        )

    def probe(self, status: str) -> None:
        """A finished run of the environment's probe, finished by the service."""
        self.release.refresh_from_db()
        if self.release.status not in OPEN_STATUSES:
            return  # probe runs are for open releases only
        run = ProbeRun.objects.create(
            release=self.release,
            environment=self.environment,
            config_ids=[self.config.pk],
            deadline=timezone.now() + timedelta(minutes=5),
        )
        ProbeResult.objects.create(
            run=run,
            config=self.config,
            name=self.config.name,
            kind=self.config.kind,
            target=self.config.target,
            status=status,
            summary=f"headers {status}",
            duration_ms=1.0,
        )
        probes.probe_run_finish_if_complete(run_id=run.pk)

    def freeze(self, on: bool) -> None:
        existing = FreezeWindow.objects.filter(environment=self.environment).first()
        if on and existing is None:
            now = timezone.now()
            policy.freeze_window_save(
                environment=self.environment,
                by=self.lead,
                name="Incident",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
            )
        elif not on and existing is not None:
            policy.freeze_window_delete(window=existing, by=self.lead)

    def move(self, target: str, override: bool) -> None:
        self.release.refresh_from_db()
        verdict = compute_readiness(self.release)
        moved = releases.release_transition(
            release=self.release,
            target=target,
            override=override,
            reason="Going ahead" if override else "",
            by=self.lead,
        )
        if moved.status in VERDICT_REQUIRED:
            how = "an override" if moved.override_stands else "the verdict"
            event(f"entered {moved.status} on {how}")
            self.entered[moved.status] = {
                "ready": verdict.ready,
                "blockers": [blocker.as_dict() for blocker in verdict.blockers],
            }

    def check(self) -> None:
        release = Release.objects.get(pk=self.release.pk)
        if release.status in VERDICT_REQUIRED:
            entry = self.entered[release.status]
            if release.override_stands:
                assert release.override_blockers == entry["blockers"]
            else:
                assert entry["ready"], (release.status, entry["blockers"])
        if release.overridden:
            entry = self.entered[release.override_status]
            assert release.override_blockers == entry["blockers"]
            assert release.override_reason == "Going ahead"
            if release.override_status == Release.Status.READY:
                assert release.override_blockers


@pytest.fixture
def tiny(team, lead):
    return checklists.template_import(source=TINY, by=lead, team=team)


@pytest.fixture
def people(team):
    return [factories.member(team, "engineer") for _ in range(3)]


@given(ops=st.lists(OPS, min_size=6, max_size=16))
# The leaks of the issue, played first: readiness lost after `ready`, then deploy.
@example(ops=[("settle",), ("move", "ready", False), ("tick", 0, "open")] + DEPLOY)
@example(ops=[("settle",), ("move", "ready", False), ("freeze", True)] + DEPLOY)
@example(ops=[("settle",), ("move", "ready", False), ("probe", "fail")] + DEPLOY)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_release_enters_ready_or_deployed_without_the_verdict_or_an_override(
    ops, team, tiny, lead, people
):
    sequence = Sequence(team, tiny, lead, people)
    for op in ops:
        sequence.apply(op)
        sequence.check()
