"""The app's URLs plus minimal views: the ceiling every page is measured against,
and the floor cost of a signed-in request and of a signed-in API request."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ThrottleFirstMixin
from config.urls import urlpatterns as app_urlpatterns


def baseline(request: HttpRequest) -> HttpResponse:
    """A fixed short response through the same middleware as every page."""
    return HttpResponse(b"ok\n", content_type="text/plain")


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    """The baseline behind the sign-in check: the session and the user are read."""
    return HttpResponse(b"ok\n", content_type="text/plain")


class ApiFloor(ThrottleFirstMixin, APIView):
    """A fixed answer through the API's authentication, throttle and permissions."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench/baseline/", baseline),
    path("bench/signed-in/", signed_in),
    path("bench/api-floor/", ApiFloor.as_view()),
    *app_urlpatterns,
]
