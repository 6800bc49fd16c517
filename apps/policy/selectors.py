"""Reads of waivers, freezes, exceptions and verification windows."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import CharField, DateTimeField, IntegerField, Q, Value
from django.utils import timezone

from apps.accounts import permissions
from apps.checklists.models import Severity
from apps.policy.models import (
    EmergencyException,
    FreezeWindow,
    VerificationWindow,
    Waiver,
)
from apps.probes.models import ProbeConfig
from apps.releases.lifecycle import OPEN_STATUSES
from apps.releases.models import Release, ReleaseItem


@dataclass(frozen=True)
class WaiverFact:
    id: int
    blocker_type: str
    blocker_id: str
    label: str
    reason: str
    expires_at: datetime
    approved_by: str | None
    requested_by: str


@dataclass(frozen=True)
class FreezeFact:
    id: int
    name: str
    reason: str
    cron: str
    time_zone: str
    starts_at: datetime | None
    ends_at: datetime | None
    duration_minutes: int | None

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        return FreezeWindow(
            cron=self.cron,
            time_zone=self.time_zone,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            duration_minutes=self.duration_minutes,
        ).occurrence_at(at)


@dataclass(frozen=True)
class ExceptionFact:
    id: int
    reason: str
    expires_at: datetime
    approvers: tuple[str, ...]


@dataclass(frozen=True)
class WindowFact:
    id: int
    outcome: str
    summary: str
    started_at: datetime
    measurements: int


@dataclass
class PolicyFacts:
    """Everything readiness needs from the policy and the environment's enabled
    probes, read in one query."""

    waivers: list[WaiverFact] = field(default_factory=list)
    freezes: list[FreezeFact] = field(default_factory=list)
    exceptions: list[ExceptionFact] = field(default_factory=list)
    probes: list[tuple[int, str]] = field(default_factory=list)  # enabled: id, name
    advisory_configs: set[int] = field(default_factory=set)
    advisory_items: set[int] = field(default_factory=set)
    item_evidence: dict[int, int] = field(default_factory=dict)
    windows: list[WindowFact] = field(default_factory=list)

    def waiver_for(self, blocker_type: str, blocker_id: str, at: datetime):
        """(active waiver, expired waiver): the approved ones for this blocker."""
        active = expired = None
        for waiver in self.waivers:
            if (waiver.blocker_type, waiver.blocker_id) != (blocker_type, blocker_id):
                continue
            if waiver.approved_by is None:
                continue
            if at < waiver.expires_at:
                active = active or waiver
            else:
                expired = expired or waiver
        return active, expired

    def freeze_at(self, at: datetime) -> tuple[FreezeFact, datetime, datetime] | None:
        for freeze in self.freezes:
            occurrence = freeze.occurrence_at(at)
            if occurrence:
                return freeze, *occurrence
        return None

    def exception_at(self, at: datetime) -> ExceptionFact | None:
        for exception in self.exceptions:
            if len(exception.approvers) == 2 and at < exception.expires_at:
                return exception
        return None


def _text(value: str = "") -> Value:
    return Value(value, output_field=CharField())


def _none(kind) -> Value:
    return Value(None, output_field=kind())


def readiness_facts(release: Release) -> PolicyFacts:
    """The release's waivers and exceptions, its environment's freeze windows and
    enabled probes, in one UNION query: readiness runs for every dashboard row."""
    return readiness_facts_many([release])[release.pk]


def readiness_facts_many(releases: list[Release]) -> dict[int, PolicyFacts]:
    """readiness_facts() of many releases, still in one query."""
    release_ids = [release.pk for release in releases]
    environment_ids = {release.environment_id for release in releases}
    no_text, no_time, no_int = _text(), _none(DateTimeField), _none(IntegerField)
    waivers = Waiver.objects.filter(release_id__in=release_ids).values_list(
        _text("waiver"),
        "release_id",
        "pk",
        "blocker_type",
        "blocker_id",
        "label",
        "reason",
        "expires_at",
        no_time,
        no_int,
        "approved_by__username",
        "requested_by__username",
    )
    freezes = FreezeWindow.objects.filter(
        environment_id__in=environment_ids
    ).values_list(
        _text("freeze"),
        "environment_id",
        "pk",
        "name",
        "reason",
        "cron",
        "time_zone",
        "starts_at",
        "ends_at",
        "duration_minutes",
        _none(CharField),
        _none(CharField),
    )
    exceptions = EmergencyException.objects.filter(
        release_id__in=release_ids
    ).values_list(
        _text("emergency"),
        "release_id",
        "pk",
        "reason",
        no_text,
        no_text,
        no_text,
        "expires_at",
        no_time,
        no_int,
        "first_approver__username",
        "second_approver__username",
    )
    probes = ProbeConfig.objects.filter(
        environment_id__in=environment_ids, enabled=True
    ).values_list(
        _text("probe"),
        "environment_id",
        "pk",
        "name",
        "severity",
        no_text,
        no_text,
        no_time,
        no_time,
        no_int,
        _none(CharField),
        _none(CharField),
    )
    # Read here rather than from the items, which callers may load with only().
    # A probe's evidence behind an item: the failure that blocks it, or the
    # warning that keeps it open.
    items = (
        ReleaseItem.objects.filter(release_id__in=release_ids)
        .filter(
            Q(severity=Severity.ADVISORY)
            | Q(
                state__in=(ReleaseItem.State.BLOCKED, ReleaseItem.State.OPEN),
                evidence_result_id__isnull=False,
            )
        )
        .values_list(
            _text("item"),
            "release_id",
            "pk",
            "severity",
            no_text,
            no_text,
            no_text,
            no_time,
            no_time,
            "evidence_result_id",
            _none(CharField),
            _none(CharField),
        )
    )
    windows = VerificationWindow.objects.filter(release_id__in=release_ids).values_list(
        _text("window"),
        "release_id",
        "pk",
        "outcome",
        "summary",
        no_text,
        no_text,
        "started_at",
        no_time,
        "measurements",
        _none(CharField),
        _none(CharField),
    )
    by_release = {pk: PolicyFacts() for pk in release_ids}
    by_environment = {pk: PolicyFacts() for pk in environment_ids}
    # Each part drops its model's default ordering: SQLite refuses ORDER BY
    # inside a compound statement.
    parts = [q.order_by() for q in (freezes, exceptions, probes, items, windows)]
    for kind, owner, pk, a, b, c, d, t1, t2, n, u1, u2 in waivers.order_by().union(
        *parts, all=True
    ):
        facts = (
            by_environment[owner]
            if kind in ("freeze", "probe")
            else (by_release[owner])
        )
        if kind == "waiver":
            facts.waivers.append(WaiverFact(pk, a, b, c, d, _when(t1), u1, u2 or ""))
        elif kind == "freeze":
            facts.freezes.append(FreezeFact(pk, a, b, c, d, _when(t1), _when(t2), n))
        elif kind == "emergency":
            approvers = tuple(name for name in (u1, u2) if name)
            facts.exceptions.append(ExceptionFact(pk, a, _when(t1), approvers))
        elif kind == "window":
            facts.windows.append(WindowFact(pk, a, b, _when(t1), n))
        elif kind == "item":
            if a == Severity.ADVISORY:
                facts.advisory_items.add(pk)
            if n is not None:
                facts.item_evidence[pk] = n
        else:
            facts.probes.append((pk, a))
            if b == Severity.ADVISORY:
                facts.advisory_configs.add(pk)
    for shared in by_environment.values():
        shared.probes.sort(key=lambda probe: (probe[1], probe[0]))
    for release in releases:
        facts, shared = by_release[release.pk], by_environment[release.environment_id]
        facts.freezes = sorted(shared.freezes, key=lambda freeze: freeze.name)
        facts.probes = shared.probes
        facts.advisory_configs = shared.advisory_configs
        facts.windows.sort(key=lambda window: (window.started_at, window.id))
        facts.windows.reverse()
    return by_release


def _when(value) -> datetime | None:
    """A datetime from a UNION column; SQLite gives unioned values back as text."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def waiver_state(waiver, at: datetime) -> str:
    """expired, active (approved and not expired) or pending."""
    if at >= waiver.expires_at:
        return "expired"
    return "active" if waiver.approved_by else "pending"


def release_policy(release: Release, at: datetime | None = None) -> dict:
    """What the release page's policy panel shows, from the one facts query."""
    at = at or timezone.now()
    facts = readiness_facts(release)
    found = facts.freeze_at(at) if release.status in OPEN_STATUSES else None
    return {
        "waivers": [
            {
                "fact": waiver,
                "state": waiver_state(waiver, at),
            }
            for waiver in facts.waivers
        ],
        "freeze": None
        if found is None
        else {
            "window": found[0],
            "until": found[2],
            "exception": facts.exception_at(at),
        },
        "freezes": facts.freezes,
        "windows": facts.windows[:5],
    }


def waiver_get_for_user(user, pk: int) -> Waiver:
    return permissions.get_for_user(
        Waiver.objects.select_related("release__team"),
        user,
        pk,
        team_field="release__team_id",
        missing="No such waiver.",
    )


def exception_get_for_user(user, pk: int) -> EmergencyException:
    return permissions.get_for_user(
        EmergencyException.objects.select_related("release__team"),
        user,
        pk,
        team_field="release__team_id",
        missing="No such exception.",
    )


def verification_window_get_for_user(user, pk: int) -> VerificationWindow:
    return permissions.get_for_user(
        VerificationWindow.objects.select_related("release__team"),
        user,
        pk,
        team_field="release__team_id",
        missing="No such verification window.",
    )


def waivers_in_force_at_deploy_many(releases: list[Release]) -> dict[int, list[Waiver]]:
    """The approved waivers each deployed release went out with, by release id.

    A waiver counts when it was approved before the deployment and had not yet
    expired at that moment. One query for any number of releases; a release
    never deployed has none.
    """
    deployed_at = {r.pk: r.deployed_at for r in releases if r.deployed_at}
    found: dict[int, list[Waiver]] = {pk: [] for pk in deployed_at}
    if not deployed_at:
        return found
    waivers = (
        Waiver.objects.filter(release_id__in=deployed_at, approved_at__isnull=False)
        .select_related("approved_by", "requested_by")
        .order_by("approved_at", "id")
    )
    for waiver in waivers:
        moment = deployed_at[waiver.release_id]
        if waiver.approved_at <= moment < waiver.expires_at:
            found[waiver.release_id].append(waiver)
    return found
