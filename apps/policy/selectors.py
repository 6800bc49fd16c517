"""Reads of waivers, freezes, exceptions and verification windows."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import NamedTuple

from django.db import connection
from django.db.models import CharField, DateTimeField, IntegerField, Q, QuerySet, Value
from django.utils import timezone

from apps.accounts import permissions
from apps.checklists.models import Severity
from apps.policy.facts import (
    ExceptionFact,
    FreezeFact,
    PolicyFacts,
    ProbeFact,
    WaiverFact,
    WindowFact,
)
from apps.policy.models import (
    EmergencyException,
    FreezeWindow,
    VerificationSample,
    VerificationWindow,
    Waiver,
)
from apps.probes import selectors as probe_selectors
from apps.probes.models import ProbeConfig
from apps.releases.lifecycle import OPEN_STATUSES
from apps.releases.models import Release, ReleaseItem
from apps.signoffs import selectors as signoff_selectors


def _text(value: str = "") -> Value:
    return Value(value, output_field=CharField())


def _none(kind) -> Value:
    return Value(None, output_field=kind())


def readiness_facts(release: Release) -> PolicyFacts:
    """The release's waivers and exceptions, its environment's freeze windows and
    enabled probes, in one UNION query: readiness runs for every dashboard row."""
    return readiness_facts_many([release])[release.pk]


# The UNION's columns. Each kind of fact fills the ones it needs (the others are
# typed NULLs) and names the fact field each carries, so both the query and the
# reading go by name.
class _FactRow(NamedTuple):
    kind: str
    owner: int  # a release id, or an environment id for freezes and probes
    id: int
    text_a: str | None
    text_b: str | None
    text_c: str | None
    text_d: str | None
    time_a: datetime | None
    time_b: datetime | None
    number: int | None
    user_a: str | None
    user_b: str | None
    user_c: str | None


# A row is read by position (_Part.fields): its first three columns.
_KIND, _OWNER, _ID = range(3)

_TYPES = {
    "text": CharField,
    "time": DateTimeField,
    "number": IntegerField,
    "user": CharField,
}


@dataclass(frozen=True)
class _Part:
    """One kind of fact in the UNION: its rows, owner and columns by field."""

    kind: str
    rows: QuerySet
    owner: str
    columns: dict[str, tuple[str, str]]  # fact field: (UNION column, source)

    def query(self) -> QuerySet:
        sources = {column: source for column, source in self.columns.values()}
        values = [_text(self.kind), self.owner, "pk"]
        for column in _FactRow._fields[3:]:
            kind = _TYPES[column.split("_")[0]]
            values.append(sources.get(column, _none(kind)))
        # Each part drops its model's default ordering: SQLite refuses ORDER BY
        # inside a compound statement.
        return self.rows.order_by().values_list(*values)

    def fields(self, row: tuple) -> dict:
        """The fact's fields from a row of the UNION, by name (a dashboard
        reads a few thousand rows: each is one dict, read by position)."""
        found = {"id": row[_ID]}
        for name, index, when in self.layout:
            found[name] = _when(row[index]) if when else row[index]
        return found

    @cached_property
    def layout(self) -> tuple[tuple[str, int, bool], ...]:
        """(field, column position, whether it is a time) of each fact field."""
        return tuple(
            (name, _FactRow._fields.index(column), column.startswith("time_"))
            for name, (column, _) in self.columns.items()
        )


def _parts(release_ids: list[int], environment_ids: set[int]) -> list[_Part]:
    in_releases = {"release_id__in": release_ids}
    in_environments = {"environment_id__in": environment_ids}
    return [
        _Part(
            "waiver",
            Waiver.objects.filter(**in_releases),
            "release_id",
            {
                "blocker_type": ("text_a", "blocker_type"),
                "blocker_id": ("text_b", "blocker_id"),
                "label": ("text_c", "label"),
                "reason": ("text_d", "reason"),
                "expires_at": ("time_a", "expires_at"),
                "approved_by": ("user_a", "approved_by__username"),
                "requested_by": ("user_b", "requested_by__username"),
                "declined_by": ("user_c", "declined_by__username"),
            },
        ),
        _Part(
            "freeze",
            FreezeWindow.objects.filter(**in_environments),
            "environment_id",
            {
                "name": ("text_a", "name"),
                "reason": ("text_b", "reason"),
                "cron": ("text_c", "cron"),
                "time_zone": ("text_d", "time_zone"),
                "starts_at": ("time_a", "starts_at"),
                "ends_at": ("time_b", "ends_at"),
                "duration_minutes": ("number", "duration_minutes"),
            },
        ),
        _Part(
            "emergency",
            EmergencyException.objects.filter(**in_releases),
            "release_id",
            {
                "reason": ("text_a", "reason"),
                "expires_at": ("time_a", "expires_at"),
                "first_approver": ("user_a", "first_approver__username"),
                "second_approver": ("user_b", "second_approver__username"),
                "requested_by": ("user_c", "requested_by__username"),
            },
        ),
        _Part(
            "probe",
            ProbeConfig.objects.filter(**in_environments, enabled=True),
            "environment_id",
            {"name": ("text_a", "name"), "severity": ("text_b", "severity")},
        ),
        # Read here rather than from the items, which callers may load with
        # only(). A probe's evidence behind an item: the failure that blocks it,
        # or the warning that keeps it open.
        _Part(
            "item",
            ReleaseItem.objects.filter(**in_releases).filter(
                Q(severity=Severity.ADVISORY)
                | Q(
                    state__in=(ReleaseItem.State.BLOCKED, ReleaseItem.State.OPEN),
                    evidence_result_id__isnull=False,
                )
            ),
            "release_id",
            {
                "severity": ("text_a", "severity"),
                "evidence_result_id": ("number", "evidence_result_id"),
            },
        ),
        _Part(
            "window",
            VerificationWindow.objects.filter(**in_releases),
            "release_id",
            {
                "outcome": ("text_a", "outcome"),
                "summary": ("text_b", "summary"),
                "started_at": ("time_a", "started_at"),
                "measurements": ("number", "measurements"),
            },
        ),
    ]


# Ids no row has, standing for the releases' and environments' ids while the
# UNION is compiled once per shape (_union).
_RELEASE_STAND_IN, _ENVIRONMENT_STAND_IN = -(10**15), -(2 * 10**15)


@lru_cache(maxsize=32)
def _union(
    vendor: str, releases: int, environments: int
) -> tuple[str, tuple, dict[str, _Part]]:
    """The UNION's SQL and parameters for this many releases and environments,
    with stand-in ids, and its parts by kind.

    Compiling the six-part UNION took the ORM four times longer than PostgreSQL
    takes to run it, on every readiness (a tick, a page, a gate call); the SQL
    only changes with the number of ids, which are bound parameters.
    """
    release_ids = [_RELEASE_STAND_IN - n for n in range(releases)]
    environment_ids = [_ENVIRONMENT_STAND_IN - n for n in range(environments)]
    parts = {part.kind: part for part in _parts(release_ids, environment_ids)}
    first, *others = (part.query() for part in parts.values())
    sql, params = first.union(*others, all=True).query.sql_with_params()
    return sql, tuple(params), parts


def readiness_facts_many(releases: list[Release]) -> dict[int, PolicyFacts]:
    """readiness_facts() of many releases, still in one query."""
    if not releases:
        return {}
    release_ids = sorted({release.pk for release in releases})
    environment_ids = sorted({release.environment_id for release in releases})
    sql, stand_in_params, parts = _union(
        connection.vendor, len(release_ids), len(environment_ids)
    )
    ids = {_RELEASE_STAND_IN - n: pk for n, pk in enumerate(release_ids)}
    ids.update({_ENVIRONMENT_STAND_IN - n: pk for n, pk in enumerate(environment_ids)})
    params = [
        ids.get(value, value) if type(value) is int else value
        for value in stand_in_params
    ]
    found: dict[tuple[str, int], list] = {}
    # Read raw: the columns are text, integers and times, which _when reads as
    # either backend gives them; Django's converters cost more than the rows.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        kind, owner = row[_KIND], row[_OWNER]
        found.setdefault((kind, owner), []).append(parts[kind].fields(row))
    # Releases of one environment share its freezes and probes: built once.
    shared = {
        environment_id: _environment_facts(found, environment_id)
        for environment_id in environment_ids
    }
    return {
        release.pk: _facts(found, release.pk, shared[release.environment_id])
        for release in releases
    }


def _environment_facts(found: dict, environment_id: int) -> dict:
    """The facts an environment's releases share: freeze windows and probes."""
    probes = found.get(("probe", environment_id), [])
    return {
        "freezes": tuple(
            sorted(
                (
                    FreezeFact(**row)
                    for row in found.get(("freeze", environment_id), [])
                ),
                key=lambda freeze: freeze.name,
            )
        ),
        "probes": tuple(
            sorted(
                (ProbeFact(row["id"], row["name"]) for row in probes),
                key=lambda probe: (probe.name, probe.id),
            )
        ),
        "advisory_configs": frozenset(
            row["id"] for row in probes if row["severity"] == Severity.ADVISORY
        ),
    }


def _facts(found: dict, release_id: int, environment: dict) -> PolicyFacts:
    """One release's facts from the UNION's rows by (kind, owner)."""

    def rows(kind: str) -> list[dict]:
        return found.get((kind, release_id), [])

    items = rows("item")
    exceptions = [
        ExceptionFact(
            id=row["id"],
            reason=row["reason"],
            expires_at=row["expires_at"],
            approvers=tuple(
                name for name in (row["first_approver"], row["second_approver"]) if name
            ),
            requested_by=row["requested_by"] or "",
        )
        for row in rows("emergency")
    ]
    windows = sorted(
        (WindowFact(**row) for row in rows("window")),
        key=lambda window: (window.started_at, window.id),
    )
    return PolicyFacts(
        waivers=tuple(
            WaiverFact(**{**row, "requested_by": row["requested_by"] or ""})
            for row in rows("waiver")
        ),
        exceptions=tuple(exceptions),
        **environment,
        advisory_items=frozenset(
            row["id"] for row in items if row["severity"] == Severity.ADVISORY
        ),
        item_evidence={
            row["id"]: row["evidence_result_id"]
            for row in items
            if row["evidence_result_id"] is not None
        },
        windows=tuple(reversed(windows)),
    )


def _when(value) -> datetime | None:
    """A datetime from a UNION column as the driver gives it (read raw): aware
    from PostgreSQL; text or a naive UTC datetime from SQLite."""
    if value in (None, ""):
        return None
    parsed = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def waiver_state(waiver, at: datetime) -> str:
    """declined, expired, active (approved and not expired) or pending."""
    if waiver.declined_by:
        return "declined"
    if at >= waiver.expires_at:
        return "expired"
    return "active" if waiver.approved_by else "pending"


def release_policy(release: Release, at: datetime | None = None) -> dict:
    """What the release page's policy panel shows, from the one facts query."""
    at = at or timezone.now()
    facts = readiness_facts(release)
    is_open = release.status in OPEN_STATUSES
    found = facts.freeze_at(at) if is_open else None
    waivers = [
        {"fact": waiver, "state": waiver_state(waiver, at)} for waiver in facts.waivers
    ]
    freeze = (
        None
        if found is None
        else {
            "window": found[0],
            "until": found[2],
            "exception": facts.exception_at(at),
            "pending": exceptions_pending(facts, at),
        }
    )
    return {
        "open": is_open,
        "waivers": waivers,
        "freeze": freeze,
        "freezes": facts.freezes,
        "windows": verification_rows(facts.windows[:5]),
        "measuring": any(w.outcome == "running" for w in facts.windows[:5]),
        # A decision another lead makes elsewhere shows without a reload: the
        # panel polls while something waits for one.
        "waiting": any(row["state"] == "pending" for row in waivers)
        or bool(freeze and not freeze["exception"] and freeze["pending"]),
    }


CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 240, 40, 1
CHART_MEASUREMENTS = 60  # the latest ones, when a window took more


def verification_rows(windows) -> list[dict]:
    """Each window with a chart of its measurements: one bar per measurement,
    as tall as its slowest http latency (full height without one), coloured by
    its verdict (any probe failing fails it, any without data leaves it without
    data). One query for all the windows; none without windows."""
    if not windows:
        return []
    by_window: dict[int, dict[int, dict]] = {}
    samples = VerificationSample.objects.filter(
        window_id__in=[window.id for window in windows]
    ).values_list("window_id", "seq", "verdict", "observed")
    for window_id, seq, verdict, observed in samples:
        bar = by_window.setdefault(window_id, {}).setdefault(
            seq, {"seq": seq, "verdicts": set(), "latency": None}
        )
        bar["verdicts"].add(verdict)
        latency = (observed or {}).get("latency_ms")
        if isinstance(latency, int | float):
            bar["latency"] = max(bar["latency"] or 0, float(latency))
    return [
        {"window": window, "chart": _chart(by_window.get(window.id, {}))}
        for window in windows
    ]


def _chart(measurements: dict[int, dict]) -> dict | None:
    """The SVG bars (x, y, width, height, verdict, label) of a window's chart."""
    if not measurements:
        return None
    shown = [measurements[seq] for seq in sorted(measurements)][-CHART_MEASUREMENTS:]
    slowest = max((m["latency"] or 0 for m in shown), default=0) or 1
    width = CHART_WIDTH / max(len(shown), 12)
    bars, counts = [], {"success": 0, "failure": 0, "no_data": 0}
    for index, measurement in enumerate(shown):
        verdicts = measurement["verdicts"]
        verdict = (
            "failure"
            if "failure" in verdicts
            else "no_data"
            if "no_data" in verdicts
            else "success"
        )
        counts[verdict] += 1
        latency = measurement["latency"]
        height = (
            CHART_HEIGHT
            if latency is None
            else max(3, CHART_HEIGHT * latency / slowest)
        )
        label = f"#{measurement['seq']}: {verdict.replace('_', ' ')}"
        if latency is not None:
            label += f", {latency:.0f} ms"
        bars.append(
            {
                "x": round(index * width, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(max(width - BAR_GAP, 1), 1),
                "height": round(height, 1),
                "verdict": verdict,
                "label": label,
            }
        )
    summary = (
        f"{len(shown)} measurement{'' if len(shown) == 1 else 's'}: "
        f"{counts['success']} succeeded, "
        f"{counts['failure']} failed, {counts['no_data']} without data"
    )
    if any(m["latency"] is not None for m in shown):
        summary += f"; slowest {slowest:.0f} ms"
    return {
        "bars": bars,
        "summary": summary,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


def exceptions_pending(facts: PolicyFacts, at: datetime) -> list[ExceptionFact]:
    """Emergency exceptions still short of their two approvals, unexpired."""
    return [
        exception
        for exception in facts.exceptions
        if len(exception.approvers) < 2 and at < exception.expires_at
    ]


class Waivable(NamedTuple):
    """A blocker a lead may ask to waive: its form value and what it says."""

    value: str  # "item:12" or "probe:7"
    label: str


def waivable_blockers(release: Release, at: datetime | None = None) -> list[Waivable]:
    """What blocks the release and may be waived, for the waiver request form:
    the blocking gating items not yet settled, the sign-off roles without an
    approval (none yet, or rejected), then the blocking probes whose latest
    result fails or that have none. A blocker with a waiver asked for or in force
    is left out."""
    at = at or timezone.now()
    standing = {
        f"{blocker_type}:{blocker_id}"
        for blocker_type, blocker_id in Waiver.objects.filter(
            release=release, declined_by__isnull=True, expires_at__gt=at
        ).values_list("blocker_type", "blocker_id")
    }
    found = []
    items = release.items.filter(
        required=True,
        kind=ReleaseItem.Kind.CHECK,
        phase="pre_deployment",
        state__in=(ReleaseItem.State.OPEN, ReleaseItem.State.BLOCKED),
    ).exclude(severity=Severity.ADVISORY)
    for item in items.order_by("position"):
        state = "blocked" if item.state == ReleaseItem.State.BLOCKED else "open"
        found.append(Waivable(f"item:{item.pk}", f"{item.text} ({state})"))
    decisions = signoff_selectors.current_decisions(release)
    for role in release.signoff_roles:
        decision = decisions.get(role["key"])
        if decision is None or not decision.is_approval:
            state = "no sign-off yet" if decision is None else "rejected"
            found.append(
                Waivable(f"signoff:{role['key']}", f"{role['name']} sign-off ({state})")
            )
    latest = {
        result.config_id: result for result in probe_selectors.release_evidence(release)
    }
    probes = ProbeConfig.objects.filter(
        environment_id=release.environment_id, enabled=True
    ).exclude(severity=Severity.ADVISORY)
    for config in probes.order_by("name", "pk"):
        result = latest.get(config.pk)
        if result is None:
            found.append(Waivable(f"probe:{config.pk}", f"{config.name}: no evidence"))
        elif result.failing:
            summary = f"{config.name}: {result.summary}"
            found.append(Waivable(f"probe:{config.pk}", summary))
    return [blocker for blocker in found if blocker.value not in standing]


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


def freeze_window_get_for_user(user, pk: int) -> FreezeWindow:
    return permissions.get_for_user(
        FreezeWindow.objects.select_related("environment__service__team"),
        user,
        pk,
        team_field="environment__service__team_id",
        missing="No such freeze window.",
    )
