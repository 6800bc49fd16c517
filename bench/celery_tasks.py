"""The baseline task of bench/celery_overhead.py; only its worker imports it."""

import redis
from celery import shared_task
from django.conf import settings


@shared_task
def noop(counter: str) -> None:
    """Do nothing but say it ran: one increment of a Redis counter."""
    redis.Redis.from_url(settings.REDIS_URL).incr(counter)
