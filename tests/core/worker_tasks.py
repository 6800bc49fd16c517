"""A task for the real-worker test: it stores the request id it ran under."""

from celery import shared_task

from apps.core import context, worker_heartbeat


@shared_task(name="tests.core.remember_request_id")
def remember_request_id(key: str) -> None:
    client = worker_heartbeat.broker_client()
    client.set(key, context.current().request_id, ex=60)
