"""Celery tasks of probe runs. Thin: each calls one service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.probes import services


# A database restarted under a batch breaks its connection: retry the batch (the
# worker opens a fresh connection; results already written are not repeated).
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=30,
    retry_jitter=False,
    max_retries=6,
)
def run_probe_batch(run_id: int, config_ids: list[int]) -> int:
    """Run a batch of a run's probes and record their results. Safe to redeliver."""
    return services.probe_batch_execute(run_id=run_id, config_ids=config_ids)


@shared_task
def sweep_probe_runs() -> dict:
    """Re-dispatch runs left queued; close runs whose deadline passed."""
    return services.probe_runs_sweep()
