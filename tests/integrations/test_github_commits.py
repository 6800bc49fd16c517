"""A release GitHub gates gets its commits from GitHub, for the change lead time.

Against the GitHub stand-in (tests/standins/github.py): the compare API
(`GET /repos/{owner}/{repo}/compare/{base}...{head}`, repos/compare-commits)
from the previous deployed release's sha, else the deployed commit alone
(`GET /repos/{owner}/{repo}/commits/{ref}`, repos/get-commit), called as the
app installation. Tasks run eagerly on commit, as a worker would run them.
"""

import time
from datetime import UTC, datetime

import pytest

from apps.audit.models import AuditEvent
from apps.integrations.models import GateRequest
from apps.releases.models import Release
from tests.integrations.conftest import REPOSITORY

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = 1_780_000_000  # 2026-05-28 20:26:40 UTC


def sha(n: int) -> str:
    return f"{n:02d}" * 20


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def test_the_first_gated_release_carries_its_deployed_commit(
    deliver, mapping, github_app
):
    github_app.add_commits(REPOSITORY, [(sha(1), T0), (sha(2), T0 + 600)])
    run = github_app.add_waiting_run(REPOSITORY, sha=sha(2))

    deliver(run, ref="v1.0.0")

    release = Release.objects.get()
    # No release was deployed before: the deployed commit alone, at its
    # committer's date (the stand-in authors each commit an hour earlier).
    assert list(release.commits.values_list("sha", "committed_at")) == [
        (sha(2), moment(T0 + 600))
    ]
    gate = GateRequest.objects.get()
    assert gate.commits_outcome == "1 commits from GitHub (the deployed commit)."
    assert github_app.calls_to("GET", rf"/repos/{REPOSITORY}/commits/{sha(2)}")
    event = AuditEvent.objects.get(
        action="release.delivery_recorded", release_id=release.pk
    )
    assert event.actor_id is None
    assert event.actor_label == f"GitHub deployment protection rule (run {run.id})"
    assert [c["sha"] for c in event.after["commits"]] == [sha(2)]


def test_the_next_release_carries_the_commits_since_the_last_deploy(
    deliver, mapping, github_app, lead
):
    github_app.add_commits(REPOSITORY, [(sha(n), T0 + 60 * n) for n in range(1, 4)])
    first = github_app.add_waiting_run(REPOSITORY, sha=sha(3))
    deliver(first, ref="v1.0.0")
    Release.objects.filter(version="v1.0.0").update(
        status=Release.Status.DEPLOYED, deployed_at=moment(time.time() - 3600)
    )
    github_app.add_commits(REPOSITORY, [(sha(n), T0 + 60 * n) for n in range(4, 9)])
    second = github_app.add_waiting_run(REPOSITORY, sha=sha(8))

    deliver(second, ref="v1.1.0")

    release = Release.objects.get(version="v1.1.0")
    # Commits 4 to 8: after the previous deploy's sha (3), up to this one's.
    assert list(release.commits.values_list("sha", flat=True)) == [
        sha(n) for n in range(4, 9)
    ]
    assert release.commits.first().committed_at == moment(T0 + 240)
    gate = GateRequest.objects.get(run_id=second.id)
    assert gate.commits_outcome == f"5 commits from GitHub after {sha(3)[:7]}."
    [compare] = github_app.calls_to(
        "GET", rf"/repos/{REPOSITORY}/compare/{sha(3)}\.\.\.{sha(8)}"
    )
    assert compare.status == 200
    assert compare.headers["authorization"].startswith("Bearer ghs_")


def test_a_commit_github_does_not_know_is_recorded_and_the_gate_still_answered(
    deliver, mapping, github_app
):
    run = github_app.add_waiting_run(REPOSITORY, sha="abcdef1" * 5 + "abcde")

    _, response = deliver(run, ref="v2.0.0")

    assert response.status_code == 202
    release = Release.objects.get()
    assert not release.commits.exists()
    gate = GateRequest.objects.get()
    assert gate.commits_outcome.startswith(
        "Commits not filled: GitHub refused commit abcdef1abcde of octo-org/shop: "
        "422 No commit found for SHA"
    )
    # The gate got its answer all the same: a status comment (not ready).
    assert len(github_app.status_reports(run.id)) == 1


def test_commits_given_at_creation_are_kept(deliver, mapping, github_app, lead):
    from apps.integrations import services

    github_app.add_commits(REPOSITORY, [(sha(5), T0)])
    run = github_app.add_waiting_run(REPOSITORY, sha=sha(5))
    deliver(run, ref="v3.0.0")
    release = Release.objects.get()
    release.commits.update(committed_at=moment(T0 - 86400))

    outcome = services.gate_request_commits_fill(gate_id=GateRequest.objects.get().pk)

    assert outcome == "Kept the commits the release carried already."
    assert release.commits.get().committed_at == moment(T0 - 86400)
