"""The server-error handler: a database outage is a clean 503, never a traceback.

Django calls `handler500` for any exception a view or middleware left
unhandled. When that exception is a lost or refused database connection, the
caller gets a 503 with `Retry-After` (a page for browsers, JSON for the API)
instead of a 500: the request changed nothing, and the next one, once the
database is back, succeeds on a fresh connection (CONN_HEALTH_CHECKS).
The page is rendered without the request, so it needs no database itself.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

RETRY_AFTER_SECONDS = "5"
API_PREFIX = "/api/"


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 for a request that failed because the database could not be reached."""
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": "The database is unavailable; try again in a moment."},
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("errors/503.html"), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 for a database outage, Django's plain 500 page otherwise."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return database_unavailable(request)
    return defaults.server_error(request)
