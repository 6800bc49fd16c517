"""Reads of probe runs and evidence for readiness, pages and the API, and the
runbook entries and contacts that help with a failing probe."""

from functools import cache
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from apps.accounts import permissions
from apps.checklists.models import RunbookEntry, TemplateItem
from apps.contacts import selectors as contact_selectors
from apps.core.rows import EpochSeconds, fetch
from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun
from apps.releases import lifecycle
from apps.releases.models import Release, ReleaseItem

# Used when a runbook entry names no probe kinds or sections itself: the seed's
# "Common Issues" matched by words of their problem line.
DEFAULT_LINKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "database": (("postgres",), ("Database",)),
    "pods": (("k8s",), ("Infrastructure",)),
    "frontend": (("http", "tls", "headers"), ("Verification",)),
    "celery": (("queue", "redis"), ("External Services",)),
}


EARLIER_RUNS = 5
SHOWN_RESULTS = 12
SEVERITY = [(0, "fail"), (1, "error"), (2, "warn"), (3, "pass")]


class Evidence(NamedTuple):
    """The fields of a probe result that readiness reads, without a model instance.

    Readiness judges up to 200 results per release, and a dashboard page judges
    20 releases: building 4,000 model instances was most of the page's time.
    `failing` and `label` are the model's own properties. A named tuple: built
    from its row in one step, about three times faster than a slotted
    dataclass's __init__.
    """

    id: int
    run_id: int
    config_id: int
    name: str
    kind: str
    status: str
    summary: str
    recorded: int  # epoch seconds of created_at
    for_release: int
    failing = ProbeResult.failing
    label = ProbeResult.label

    @property
    def pk(self) -> int:
        return self.id


# The columns read for an Evidence: all of its fields but the release's id.
EVIDENCE_COLUMNS = Evidence._fields[:-1]


def release_evidence(release: Release) -> list[Evidence]:
    """The results of the release's latest finished run: its current evidence."""
    latest = (
        ProbeRun.objects.filter(release=release, status__in=ProbeRun.FINISHED)
        .order_by("-finished_at", "-id")
        .values("id")[:1]
    )
    rows = (
        ProbeResult.objects.filter(run_id__in=latest)
        .annotate(recorded=EpochSeconds("created_at"))
        .order_by("name")
        .values_list(*EVIDENCE_COLUMNS)
    )
    return [Evidence._make((*row, release.pk)) for row in rows]


def release_evidence_many(release_ids: list[int]) -> dict[int, list]:
    """Each release's current probe evidence (its latest finished run's results),
    for many releases in one query; the fields readiness reads, not `observed`."""
    latest = (
        ProbeRun.objects.filter(release_id=OuterRef("pk"), status__in=ProbeRun.FINISHED)
        .order_by("-finished_at", "-id")
        .values("id")[:1]
    )
    runs = (
        Release.objects.filter(pk__in=release_ids)
        .annotate(latest_run=Subquery(latest))
        .values("latest_run")
    )
    rows = (
        ProbeResult.objects.filter(run_id__in=runs)
        .annotate(recorded=EpochSeconds("created_at"))
        .order_by("name")
        .values_list(*EVIDENCE_COLUMNS, "run__release_id")
    )
    evidence: dict[int, list] = {}
    for row in fetch(rows):
        evidence.setdefault(row[-1], []).append(Evidence._make(row))
    return evidence


@cache
def verified_item_sql(item: str, environment: str = "%s") -> str:
    """An SQL EXISTS clause: whether an enabled probe of an environment (SQL:
    a %s parameter by default, or a column such as `r.environment_id`) verifies
    the release item aliased `item`, matched by text without case as evidence
    is matched (evidence.apply).

    Hand-written because a tick asks it inside its locking read: the ORM spent
    longer building this subquery than PostgreSQL spends running it.
    """
    quote = connection.ops.quote_name
    verifies = ProbeConfig.verifies.through._meta.db_table
    return (
        f"EXISTS (SELECT 1 FROM {quote(ProbeConfig._meta.db_table)} c"  # noqa: S608
        f" JOIN {quote(verifies)} v ON v.probeconfig_id = c.id"
        f" JOIN {quote(TemplateItem._meta.db_table)} t ON t.id = v.templateitem_id"
        f" WHERE c.environment_id = {environment} AND c.enabled"
        f" AND UPPER(t.text) = UPPER({item}.text))"
    )


def probe_runs_for_release(release: Release) -> QuerySet[ProbeRun]:
    return ProbeRun.objects.filter(release=release).order_by("-created_at", "-id")


def config_get_for_user(user, pk: int) -> ProbeConfig:
    """A probe configuration of one of the user's teams; 404 otherwise."""
    return permissions.get_for_user(
        ProbeConfig.objects.select_related("environment__service__team"),
        user,
        pk,
        team_field="environment__service__team_id",
        missing="No such probe.",
    )


def runbook_links(entry: RunbookEntry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The probe kinds and sections an entry explains: its own, else the default
    links of the seed's Common Issues, matched by a word of the problem."""
    if entry.probe_kinds or entry.sections:
        return tuple(entry.probe_kinds), tuple(entry.sections)
    problem = entry.problem.lower()
    for word, links in DEFAULT_LINKS.items():
        if word in problem:
            return links
    return (), ()


def runbook_for_result(result: ProbeResult, release: Release) -> list[RunbookEntry]:
    """The runbook entries of the release's template for a failing probe's kind,
    or for the sections of the items the probe verifies."""
    if not result.failing and result.status != ProbeResult.Status.WARN:
        return []
    sections = set(
        ReleaseItem.objects.filter(
            release=release, evidence_result_id=result.pk
        ).values_list("section_title", flat=True)
    )
    matches = []
    for entry in RunbookEntry.objects.filter(template_id=release.template_id):
        kinds, titles = runbook_links(entry)
        if result.kind in kinds or sections & set(titles):
            matches.append(entry)
    return matches


def failure_help(release: Release, results: list[ProbeResult]) -> dict:
    """For each failing result: its runbook entries; and the service's contacts."""
    failing = [r for r in results if r.failing]
    return {
        "results": [
            {"result": result, "runbook": runbook_for_result(result, release)}
            for result in failing
        ],
        "contacts": list(contact_selectors.contacts_for_service(release.service))
        if failing
        else [],
    }


def probe_panel(release: Release, user, *, show_all: bool = False) -> dict:
    """What the probe panel draws for a viewer: the latest run, its results
    worst first (a screenful unless show_all), and earlier runs."""
    runs = list(
        probe_runs_for_release(release).select_related("started_by")[: EARLIER_RUNS + 1]
    )
    latest = runs[0] if runs else None
    results: list[ProbeResult] = []
    total = 0
    if latest:
        severity = Case(
            *[When(status=status, then=Value(rank)) for rank, status in SEVERITY],
            default=Value(len(SEVERITY)),
            output_field=IntegerField(),
        )
        ordered = latest.results.annotate(severity=severity).order_by(
            "severity", "name"
        )
        results = list(ordered if show_all else ordered[:SHOWN_RESULTS])
        total = len(results) if show_all else latest.results.count()
    return {
        "probe_panel": True,
        "latest_run": latest,
        "earlier_runs": runs[1:],
        "probe_results": results,
        "probe_results_total": total,
        "probe_results_hidden": total - len(results),
        "probe_show_all": show_all,
        "can_run_probes": permissions.can(user, "run_probes", release.team),
        "probe_refusal": lifecycle.probe_run_refusal(release.status),
    }
