"""Celery tasks of probe schedules. Thin: each calls one service."""

from celery import shared_task

from apps.monitoring import services


@shared_task
def dispatch_probe_schedules() -> int:
    """The one beat entry of schedules: enqueue every probe that is due."""
    return services.probe_schedules_dispatch()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_scheduled_probe(schedule_id: int, scheduled_for: str) -> None:
    """Run one scheduled probe for its moment and record it. Safe to redeliver."""
    services.environment_check_run(schedule_id=schedule_id, scheduled_for=scheduled_for)
