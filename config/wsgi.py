"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the apps, their modules) lives as long as the
# process. Moving it out of the collector's view keeps each full collection to
# what requests allocate: a full collection over the loaded app took 60-70 ms,
# and the dashboard triggered one every few requests (p95 128 ms -> 72 ms,
# docs/benchmarks.md).
gc.freeze()
