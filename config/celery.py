"""The Celery application; its settings come from Django's (CELERY_* names)."""

import os

from celery import Celery

from apps.core import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Before any connection exists: redis:// brokers use the repaired transport.
broker.install()
app = Celery("shipshape")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
