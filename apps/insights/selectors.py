"""The scope of the delivery metrics a user may see, from query parameters."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.catalog.models import Environment, Service
from apps.insights.metrics import Scope
from apps.insights.stats import week_start

# Six months of weeks, the current one included: the rework rate's default
# window, and every metric's.
DEFAULT_WEEKS = 26
LONGEST = timedelta(days=3 * 366)


def default_period(now: datetime) -> tuple[datetime, datetime]:
    """DEFAULT_WEEKS weeks up to the end of the current one, Monday 00:00 UTC."""
    until = week_start(now) + timedelta(days=7)
    return until - timedelta(weeks=DEFAULT_WEEKS), until


def scope_for_user(
    user: User,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    service: int | None = None,
    environment: int | None = None,
    team: int | None = None,
) -> Scope:
    """The user's scope: their teams (or one of them), a service and an
    environment of theirs; another team's id is a 404, a bad period a
    ValidationError naming its field."""
    default_since, default_until = default_period(now)
    until = (until or default_until).astimezone(UTC)
    since = (since or until - (default_until - default_since)).astimezone(UTC)
    if since >= until:
        raise ValidationError({"until": "The period must end after it starts."})
    if until - since > LONGEST:
        raise ValidationError({"since": "Ask for at most three years at a time."})
    team_ids = permissions.team_ids_for(user)
    if team is not None:
        if team_ids is not None and team not in team_ids:
            raise Http404("No such team.")
        if not Team.objects.filter(pk=team).exists():
            raise Http404("No such team.")
        team_ids = [team]
    _require(Service.objects.filter(pk=service), "team_id", team_ids, service)
    _require(
        Environment.objects.filter(pk=environment),
        "service__team_id",
        team_ids,
        environment,
    )
    return Scope(
        since=since,
        until=until,
        team_ids=team_ids,
        service_id=service,
        environment_id=environment,
    )


def _require(found: QuerySet, team_field: str, team_ids, pk: int | None) -> None:
    """A 404 unless the service or environment `pk` (when given) is the teams'."""
    if pk is None:
        return
    if team_ids is not None:
        found = found.filter(**{f"{team_field}__in": team_ids})
    if not found.exists():
        raise Http404(f"No such {found.model._meta.verbose_name}.")
