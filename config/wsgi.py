"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _warm() -> int:
    """Import every view and compile every template once, here, before gunicorn
    forks its workers (preload_app); returns the templates compiled.

    Django imports the URLconf, and with it every app's views, on a process's
    first request, and compiles a template the first time it renders it; the
    image does not write bytecode at run time, so each import compiled its
    source too. A fresh (or recycled, every ~2,000 requests) worker's first
    request took 0.4-1.9 s, and at 8 connections four fresh workers' first item
    ticks, queued on the release's lock, answered after up to a second
    (docs/benchmarks.md). Done here, every worker starts with them, and the
    freeze below keeps them out of the collector's view. The project's own
    templates only: the admin's serve operators, seldom. Nothing here connects
    to PostgreSQL or Redis.
    """
    from pathlib import Path

    from django.conf import settings
    from django.contrib.auth import get_backends
    from django.db.utils import load_backend
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
    from django.urls import URLResolver, get_resolver
    from django.utils import formats
    from django.utils.module_loading import import_string
    from rest_framework.settings import api_settings

    def patterns(resolver: URLResolver) -> None:
        for pattern in resolver.url_patterns:  # imports every URL module and view
            pattern.pattern.regex  # noqa: B018 - compiled on first use otherwise
            if isinstance(pattern, URLResolver):
                patterns(pattern)

    resolver = get_resolver()
    patterns(resolver)
    resolver.reverse_dict  # noqa: B018 - what {% url %} and reverse() read
    get_backends()
    load_backend(settings.DATABASES["default"]["ENGINE"])  # imported, not connected
    import_string(settings.CACHES["default"]["BACKEND"])  # nor this one
    formats.localize(1)  # the language's format modules, imported on first use
    for name in api_settings.defaults:
        getattr(api_settings, name)  # DRF imports its classes on first use
    compiled = 0
    for engine in engines.all():
        for directory in engine.template_dirs:
            root = Path(directory)
            if not root.is_relative_to(settings.BASE_DIR) or (
                "site-packages" in root.parts
            ):
                continue
            for path in root.rglob("*.html"):
                try:
                    engine.get_template(str(path.relative_to(root)))
                except (TemplateDoesNotExist, TemplateSyntaxError):
                    continue  # reported when rendered, as before
                compiled += 1
    return compiled


_warm()
# Everything loaded so far (Django, the apps, their modules) lives as long as the
# process. Moving it out of the collector's view keeps each full collection to
# what requests allocate: a full collection over the loaded app took 60-70 ms,
# and the dashboard triggered one every few requests (p95 128 ms -> 72 ms,
# docs/benchmarks.md).
gc.freeze()
