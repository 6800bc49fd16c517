"""Celery tasks of maintenance. Thin: each calls one service."""

from celery import shared_task

from apps.maintenance import services


@shared_task
def maintenance_tick() -> dict:
    """The beat entry: create the periods' checklists and flag overdue ones."""
    return services.maintenance_tick()
