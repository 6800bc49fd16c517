"""WSGI entry of the test OpenID provider: builds its SQLite tables, then serves."""

import os

from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
application = get_wsgi_application()
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
