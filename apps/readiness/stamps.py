"""The release page's stamp: what its cached body depends on, in one round trip.

The release page answers most requests (htmx polling, reloads) with a 304 or a
cached body, so this read is its hot path: one hand-written statement (the ORM
spent several times the database's own time building it). Each app writes the
part about its own tables; this module only puts them together.
"""

# ruff: noqa: S608

import hashlib
from dataclasses import dataclass
from functools import cache

from django.contrib.auth.models import User
from django.http import Http404

from apps.accounts import stamps as account_stamps
from apps.checklists import stamps as checklist_stamps
from apps.contacts import stamps as contact_stamps
from apps.core.rows import table
from apps.policy import stamps as policy_stamps
from apps.probes import stamps as probe_stamps
from apps.releases.models import Release
from apps.releases.stamps import release_row


@dataclass(frozen=True)
class PageStamp:
    """What the release page's cached body depends on, read in one round trip."""

    release_id: int
    team_id: int
    revision: int
    viewer_role: str | None
    latest_run_id: int | None
    latest_run_status: str | None
    contacts: tuple
    resources: tuple
    signers: tuple


@cache
def _page_stamp_sql() -> str:
    # Who may sign (the team's eligibility and groups) and whether the creator
    # may approve (the template's option) change the sign-off panel, not the
    # release's revision.
    columns = [
        "r.id",
        "r.team_id",
        "r.revision",
        account_stamps.viewer_role_sql("r.team_id"),
        probe_stamps.latest_run_sql("r.id", "id"),
        probe_stamps.latest_run_sql("r.id", "status"),
        *contact_stamps.shown_stats_sql("r.service_id", "r.team_id"),
        *checklist_stamps.signer_rules_stats_sql("r.team_id"),
        *account_stamps.signoff_group_stats_sql("r.team_id"),
        checklist_stamps.creator_approval_sql("r.template_id"),
    ]
    return f"SELECT {', '.join(columns)} FROM {table(Release)} r WHERE r.id = %s"


def release_page(user: User, pk: int) -> PageStamp:
    """The release's page stamp for this viewer, or 404 when the release does not
    exist or belongs to a team the viewer is not in (the viewer's role is read in
    the same statement, so the membership check costs no second round trip)."""
    row = release_row(pk, _page_stamp_sql(), [user.pk, pk])
    if row[3] is None and not user.is_superuser:
        raise Http404("No such release.")
    return PageStamp(
        release_id=row[0],
        team_id=row[1],
        revision=row[2],
        viewer_role=row[3],
        latest_run_id=row[4],
        latest_run_status=row[5],
        contacts=(row[6], str(row[7])),
        resources=(row[8], str(row[9])),
        signers=(row[10], str(row[11]), row[12], str(row[13]), row[14]),
    )


@dataclass(frozen=True)
class TickStamp:
    """What the item tick's cached verdict inputs depend on (apps.readiness.tick).

    Every service that changes the release bumps `revision`; `activity` is the
    number the row's trigger drew from a sequence at its last write
    (apps.releases.activity), never drawn twice, so it tells a committed row
    version from one a rolled-back transaction wrote; `facts` digests what can
    change the verdict without a revision: the environment's enabled probe
    configurations and freeze windows, the release's waivers and emergency
    exceptions (edited in the admin, say) and its latest probe run.
    """

    release_id: int
    revision: int
    activity: int
    facts: str


@cache
def tick_facts_sql() -> str:
    """The stamp's facts, as columns of the release aliased `r`: what the item
    tick reads with its item, before the release's lock
    (releases.selectors.release_item_read_for_user)."""
    return ", ".join(
        [
            probe_stamps.enabled_configs_sql("r.environment_id"),
            probe_stamps.latest_run_sql("r.id", "id"),
            probe_stamps.latest_run_sql("r.id", "status"),
            *policy_stamps.verdict_facts_sql("r.id", "r.environment_id"),
        ]
    )


def tick_stamp_of(release_id: int, revision: int, activity: int, facts) -> TickStamp:
    """The stamp of a release version whose facts (tick_facts_sql's columns)
    were read already."""
    digest = hashlib.sha256(repr(list(facts)).encode()).hexdigest()[:32]
    return TickStamp(
        release_id=release_id, revision=revision, activity=activity, facts=digest
    )


@cache
def _tick_stamp_sql() -> str:
    columns = f"r.revision, r.activity, {tick_facts_sql()}"
    return f"SELECT {columns} FROM {table(Release)} r WHERE r.id = %s"


def tick_stamp(release_id: int) -> TickStamp:
    """The release's tick stamp, in one round trip (404 for no such release)."""
    revision, activity, *facts = release_row(
        release_id, _tick_stamp_sql(), [release_id]
    )
    return tick_stamp_of(release_id, revision, activity, facts)
