"""The policy facts readiness judges by: waivers, freezes, exceptions, probes.

Plain Python (no Django), so the pure judge (apps.readiness.judge) can read
them; `selectors.readiness_facts_many` builds them from one UNION query.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apps.core import cron as recurrence


class Compact:
    """A frozen record pickled as its class and field values, in order: the item
    tick caches hundreds of them, and this loads them several times faster than
    pickle's default (a state dict per record)."""

    __slots__ = ()

    def __reduce__(self) -> tuple:
        return (self.__class__, tuple(self.__dict__.values()))


def freeze_occurrence(window, at: datetime) -> tuple[datetime, datetime] | None:
    """The (start, end) of a freeze window (a FreezeWindow or a FreezeFact) in
    effect at `at`, or None: one-off windows cover [starts_at, ends_at),
    recurring ones start whenever `cron` matches in `time_zone` and last
    `duration_minutes`."""
    if not window.cron:
        if window.starts_at <= at < window.ends_at:
            return window.starts_at, window.ends_at
        return None
    duration = timedelta(minutes=window.duration_minutes)
    start = recurrence.active_start(window.cron, window.time_zone, duration, at)
    return (start, start + duration) if start else None


def upcoming_occurrences(
    window, after: datetime, count: int = 5
) -> list[tuple[datetime, datetime]]:
    """The next `count` (start, end) of a freeze window (anything with its
    fields) that end after `after`, the one in effect first: a one-off window
    has at most one. Raises recurrence.CronError for an expression that never
    matches."""
    if not window.cron:
        return [(window.starts_at, window.ends_at)] if window.ends_at > after else []
    duration = timedelta(minutes=window.duration_minutes)
    zone = recurrence.stored_zone(window.time_zone)
    found = []
    current = freeze_occurrence(window, after)
    if current:
        found.append(current)
    cron = recurrence.Cron.parse(window.cron)
    moment = after
    while len(found) < count:
        moment = cron.next_after(moment, zone)
        found.append((moment, moment + duration))
    return found


@dataclass(frozen=True)
class WaiverFact(Compact):
    id: int
    blocker_type: str
    blocker_id: str
    label: str
    reason: str
    expires_at: datetime
    approved_by: str | None
    requested_by: str
    declined_by: str | None = None


@dataclass(frozen=True)
class FreezeFact(Compact):
    id: int
    name: str
    reason: str
    cron: str
    time_zone: str
    starts_at: datetime | None
    ends_at: datetime | None
    duration_minutes: int | None

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        return freeze_occurrence(self, at)


@dataclass(frozen=True)
class ExceptionFact(Compact):
    id: int
    reason: str
    expires_at: datetime
    approvers: tuple[str, ...]
    requested_by: str = ""


@dataclass(frozen=True)
class WindowFact(Compact):
    id: int
    outcome: str
    summary: str
    started_at: datetime
    measurements: int


@dataclass(frozen=True)
class ProbeFact(Compact):
    """An enabled probe configuration of the release's environment."""

    id: int
    name: str


@dataclass(frozen=True)
class PolicyFacts:
    """Everything readiness needs from the policy and the environment's enabled
    probes, read in one query."""

    waivers: tuple[WaiverFact, ...] = ()
    freezes: tuple[FreezeFact, ...] = ()  # by name
    exceptions: tuple[ExceptionFact, ...] = ()
    probes: tuple[ProbeFact, ...] = ()  # enabled, by name and id
    advisory_configs: frozenset[int] = frozenset()
    advisory_items: frozenset[int] = frozenset()
    # An open or blocked item's probe evidence: the result that blocks it, or
    # the warning that keeps it open.
    item_evidence: dict[int, int] = field(default_factory=dict)
    windows: tuple[WindowFact, ...] = ()  # newest first

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
