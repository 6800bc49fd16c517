"""Finding a release without its id, as deploy platforms name it, and its answer.

Argo Rollouts and pipelines poll the lookup every few seconds, so finding the
release is one hand-written statement (the ORM took several times longer to
build the query than PostgreSQL took to run it), which also answers whether the
caller's teams may see it and reads the revision the cached answer is keyed by.
Statements are assembled from table names and fixed expressions only; every
value is a bound parameter.
"""

# ruff: noqa: S608

import time
from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.http import Http404

from apps.accounts import permissions
from apps.accounts import stamps as account_stamps
from apps.catalog.models import Environment, Service
from apps.core.rows import table
from apps.readiness.readiness import compute_readiness
from apps.releases import revisions
from apps.releases import stamps as release_stamps
from apps.releases.models import Release

MAX_ID = 2**63 - 1

# Lookups this process found for callers whose teams it knows (an API token's
# owner, a signed-in person): (user id, service, environment, version, sha) ->
# (release id, team id, until time.monotonic()).
_found: dict[tuple, tuple[int, int, float]] = {}
LIMIT = 1000


def _named(column: str, value: str) -> tuple[str, object]:
    """An id or a name, case-insensitive (as Django's iexact): a condition on
    the table aliased `column` and its parameter."""
    if value.isdigit():
        return f"{column}.id = %s", int(value)
    # The parameter's UPPER() once, not once per row compared.
    return f"UPPER({column}.name) = (SELECT UPPER(%s))", value


@lru_cache(maxsize=32)
def _find_sql(
    vendor: str, service: str, environment: str, by_sha: bool, all_teams: bool
) -> str:
    """The statement for one shape of lookup (conditions as _named() makes them).

    The service is found first, then its environment, then the release: joined
    flat, PostgreSQL expected one environment named "production" rather than
    one per service, compared every service with every environment and read
    every production environment's releases (16 ms instead of 0.3).
    """
    materialized = "MATERIALIZED " if vendor == "postgresql" else ""
    services = [service]
    if not all_teams:
        services.append(f"s.team_id IN {account_stamps.member_team_ids_sql()}")
    if by_sha:
        # The sha a gate request recorded (a JSON key), or the short sha as
        # the version; the LIKE pattern's own characters are escaped.
        if vendor == "postgresql":
            recorded = "(r.gate_request ->> 'sha') LIKE %s"
        else:
            recorded = "json_extract(r.gate_request, '$.sha') LIKE %s ESCAPE '\\'"
        release = f"({recorded} OR r.version = %s)"
    else:
        release = "r.version = %s"
    # The newest release that is not cancelled, else the newest cancelled one.
    return (
        f"WITH s AS {materialized}(SELECT s.id FROM {table(Service)} s"
        f" WHERE {' AND '.join(services)}),"
        f" e AS {materialized}(SELECT e.id FROM {table(Environment)} e"
        f" WHERE e.service_id IN (SELECT s.id FROM s) AND {environment})"
        f" SELECT r.id, r.revision, r.team_id FROM {table(Release)} r"
        f" WHERE r.environment_id IN (SELECT e.id FROM e) AND {release}"
        " ORDER BY CASE WHEN r.status = %s THEN 1 ELSE 0 END,"
        " r.created_at DESC, r.id DESC LIMIT 1"
    )


def release_kept(
    user: User, *, service: str, environment: str, version: str = "", sha: str = ""
) -> int | None:
    """The id of the release this lookup found for this user within the last
    API_AUTH_CACHE_MS, if its team is still one of theirs; else None (and
    release_found_for_user() asks the database). No query."""
    teams = None if user.is_superuser else permissions.known_team_ids(user)
    if not user.is_superuser and teams is None:
        return None
    kept = _found.get((user.pk, service, environment, version, sha))
    if (
        kept is not None
        and kept[2] > time.monotonic()
        and (teams is None or kept[1] in teams)
    ):
        return kept[0]
    return None


def release_found_for_user(
    user: User,
    *,
    service: str,
    environment: str,
    version: str = "",
    sha: str = "",
    read: Mapping[str, str | None] | None = None,
) -> tuple[int, int]:
    """The id and revision of the live release of a service's environment for a
    version, or for a commit (a release whose gate request names it, or whose
    version is its short sha), in one round trip.

    404 when the caller's teams have none; the newest when a version was
    cancelled and made again.

    An API token's owner polls: which release a lookup names is kept by this
    process for as long as the token's check (API_AUTH_CACHE_MS, at most a
    second), and the revision is then read from its mirror
    (apps.releases.revisions; `read` as for release_revision()), so a repeated
    lookup costs no query. It names another release only when a version is
    cancelled and made again, or a newer release of a commit is made: a poll
    may name the previous one for that second, as if it had come a second
    earlier. A lookup that found nothing is not kept.
    """
    kept = release_kept(
        user, service=service, environment=environment, version=version, sha=sha
    )
    if kept is not None:
        return kept, release_stamps.release_revision(user, kept, read)
    remembered = user.is_superuser or permissions.known_team_ids(user) is not None
    key = (user.pk, service, environment, version, sha)
    started = time.monotonic()
    service_condition, service_value = _named("s", service)
    environment_condition, environment_value = _named("e", environment)
    for value in (service_value, environment_value):
        if isinstance(value, int) and value > MAX_ID:
            raise Http404("No such release.")
    all_teams = user.is_superuser
    # In the order of the placeholders: the service, the team condition, the
    # environment, the release's version or sha, and the status.
    params: list = [service_value]
    if not all_teams:
        params.append(user.pk)
    params.append(environment_value)
    if version:
        params.append(version)
    else:
        sha = sha.lower()
        escaped = sha.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params += [escaped + "%", sha[:7]]
    params.append(Release.Status.CANCELLED)
    sql = _find_sql(
        connection.vendor,
        service_condition,
        environment_condition,
        not version,
        all_teams,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such release.")
    pk, revision, team_id = row
    revisions.mirror(pk, revision, team_id)
    if remembered and settings.API_AUTH_CACHE_MS:
        if len(_found) >= LIMIT:
            _found.clear()
        _found[key] = (pk, team_id, started + settings.API_AUTH_CACHE_MS / 1000)
    return pk, revision


def release_find_for_user(
    user: User,
    *,
    service: str,
    environment: str,
    version: str = "",
    sha: str = "",
) -> Release:
    """The release release_found_for_user() finds, read whole."""
    pk, _revision = release_found_for_user(
        user, service=service, environment=environment, version=version, sha=sha
    )
    return release_get(pk)


def release_get(pk: int) -> Release:
    """A release found above, with what its readiness answer shows."""
    return Release.objects.select_related(
        "service", "environment", "team", "override_by"
    ).get(pk=pk)


def readiness_answer(release: Release) -> dict:
    """The release readiness endpoint's JSON: the verdict and any override."""
    return {**compute_readiness(release).as_dict(), "override": release.override}
