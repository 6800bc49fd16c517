"""The app's URLs plus a minimal view: the ceiling every page is measured against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def baseline(request: HttpRequest) -> HttpResponse:
    """A fixed short response through the same middleware as every page."""
    return HttpResponse(b"ok\n", content_type="text/plain")


urlpatterns = [path("bench/baseline/", baseline), *app_urlpatterns]
