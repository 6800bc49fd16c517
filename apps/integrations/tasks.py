"""Thin tasks for deploy platforms: work on a delivery, answer a gate, reconcile."""

from celery import shared_task

from apps.integrations import github, gitlab, services


@shared_task
def process_github_delivery(delivery_id: int) -> None:
    """Work on one stored GitHub delivery. Safe to redeliver."""
    services.github_delivery_process(delivery_id=delivery_id)


@shared_task(
    autoretry_for=(github.GitHubError,),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=5,
)
def answer_gate_request(gate_id: int) -> None:
    """Tell GitHub what the release's verdict says about one waiting gate."""
    services.gate_request_answer(gate_id=gate_id)


@shared_task
def fill_release_commits(gate_id: int) -> None:
    """Fill a gate's release's commits from GitHub; a failure is recorded on the
    gate request, never retried into the gate's way."""
    services.gate_request_commits_fill(gate_id=gate_id)


@shared_task
def reconcile_github_gates() -> None:
    """Beat: find runs whose delivery was lost and re-judge waiting gates."""
    services.github_gates_reconcile()


@shared_task
def prune_inbound_deliveries() -> None:
    """Beat: delete deliveries older than INBOUND_WEBHOOK_RETENTION_DAYS."""
    services.inbound_deliveries_prune()


@shared_task(
    autoretry_for=(gitlab.GitLabError,),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=5,
)
def answer_gitlab_deployment(row_id: int) -> None:
    """Approve or reject one held GitLab deployment from its release's verdict."""
    services.gitlab_deployment_answer(row_id=row_id)


@shared_task
def answer_gitlab_deployments() -> None:
    """Beat: find blocked GitLab deployments of mapped projects and answer them,
    and answer the merge requests' status checks not yet passed."""
    services.gitlab_deployments_poll()
    services.gitlab_status_checks_reconcile()


@shared_task(
    autoretry_for=(gitlab.GitLabError,),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=5,
)
def answer_gitlab_status_check(row_id: int) -> None:
    """Tell GitLab whether a merge request's head commit is ready."""
    services.gitlab_status_check_answer(row_id=row_id)


@shared_task
def process_gitlab_delivery(delivery_id: int) -> None:
    """Work on one stored GitLab webhook delivery. Safe to redeliver."""
    services.gitlab_delivery_process(delivery_id=delivery_id)
