"""After a committed change of a release: answer again every deploy platform
waiting on it (a GitHub gate, a held GitLab deployment, a GitLab merge-request
status check), found in one query.

Registered once as a `releases.writes.on_change` listener. It runs after every
committed release write, a tick included, and almost every release has nothing
waiting, so the cost that matters is the empty answer: one round trip, not one
per platform.
"""

from functools import lru_cache

from django.db import connection
from django.db.models import F, Q, Subquery, Value
from django.db.models.fields.json import KeyTextTransform

from apps.integrations import tasks
from apps.integrations.models import GateRequest, GitLabDeployment, GitLabStatusCheck
from apps.integrations.services.gates import enqueue
from apps.releases.models import Release

# What each kind of waiting row is answered by.
_ANSWER = {
    "github-gate": tasks.answer_gate_request,
    "gitlab-deployment": tasks.answer_gitlab_deployment,
    "gitlab-status-check": tasks.answer_gitlab_status_check,
}


def _rows(kind: str, queryset):
    rows = queryset.order_by().annotate(kind=Value(kind), row=F("pk"))
    return rows.values_list("kind", "row")


# An id no release has, standing for the release's while the query is compiled
# once (_waiting_sql).
_RELEASE_STAND_IN = -(10**15)


def release_waiting(release_id: int) -> list[tuple[str, int]]:
    """(kind, row id) of everything waiting on this release's verdict.

    A status check counts when it names the release, or when it was received
    before the release existed and names its commit: the release's version as
    a sha prefix, or the sha of its gate request.
    """
    sql, stand_in_params = _waiting_sql(connection.vendor)
    params = [
        release_id if type(value) is int and value == _RELEASE_STAND_IN else value
        for value in stand_in_params
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(kind, row_id) for kind, row_id in cursor.fetchall()]


@lru_cache(maxsize=4)
def _waiting_sql(vendor: str) -> tuple[str, tuple]:
    """The query's SQL and parameters, with a stand-in release id.

    Compiling the three-part UNION took the ORM five times longer than the
    database takes to answer it, after every committed release write; only
    the release id changes, and it is a bound parameter.
    """
    release_id = _RELEASE_STAND_IN
    release = Release.objects.filter(pk=release_id)
    version = Subquery(release.values("version")[:1])
    environment = Subquery(release.values("environment_id")[:1])
    sha = Subquery(
        release.annotate(sha=KeyTextTransform("sha", "gate_request")).values("sha")[:1]
    )
    gates = GateRequest.objects.filter(
        release_id=release_id, state=GateRequest.State.WAITING
    )
    deployments = GitLabDeployment.objects.filter(
        release_id=release_id, state=GitLabDeployment.State.WAITING
    )
    checks = GitLabStatusCheck.objects.filter(
        Q(release_id=release_id)
        | Q(release=None, sha__startswith=version)
        | Q(release=None, sha=sha),
        environment_id=environment,
    ).exclude(state=GitLabStatusCheck.State.PASSED)
    union = _rows("github-gate", gates).union(
        _rows("gitlab-deployment", deployments),
        _rows("gitlab-status-check", checks),
        all=True,
    )
    sql, params = union.query.sql_with_params()
    return sql, tuple(params)


def release_changed(release_id: int) -> None:
    """Queue an answer for everything waiting on the release (see module)."""
    for kind, row_id in release_waiting(release_id):
        enqueue(_ANSWER[kind], row_id)
