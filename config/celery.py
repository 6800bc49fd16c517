"""The Celery application; its settings come from Django's (CELERY_* names)."""

import os

from celery import Celery

from apps.core import broker, worker_heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Before any connection exists: redis:// brokers use the repaired transport.
broker.install()
app = Celery("shipshape")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Workers announce themselves in Redis, for /ready/ and liveness.
worker_heartbeat.install(app)
