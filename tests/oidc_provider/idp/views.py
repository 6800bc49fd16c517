"""The provider's pages: sign-in form, authorization endpoint, /_test/ control."""

import hmac
import inspect
import json
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider import views as oauth2_views

from tests.oidc_provider.idp import control

AUTH_TIME = "idp_auth_time"
ACR = "urn:shipshape:test-idp:password"
AMR = ["pwd"]


class LoginView(auth_views.LoginView):
    """Username and password, with CSRF; remembers when the user signed in."""

    template_name = "idp/login.html"

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session[AUTH_TIME] = int(time.time())
        return response


class AuthorizationView(oauth2_views.AuthorizationView):
    """django-oauth-toolkit's endpoint, with prompt=login and max_age honoured.

    Either sends the user to the sign-in form even with a session (with
    prompt=none, answers login_required instead). The next URL drops both,
    because signing in satisfies them; otherwise max_age=0 would ask again
    forever. The sign-in time travels with the code into the ID token.
    """

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        prompt = set(request.GET.get("prompt", "").split())
        if self._sign_in_is_stale(prompt):
            if "none" in prompt:
                return super().handle_no_permission()  # login_required, to the client
            return self._sign_in_again()
        return super().get(request, *args, **kwargs)

    def handle_no_permission(self) -> HttpResponse:
        prompt = set(self.request.GET.get("prompt", "").split())
        if prompt & {"none", "create"}:
            return super().handle_no_permission()
        return self._sign_in_again()

    def create_authorization_response(self, request, scopes, credentials, allow):
        credentials = {
            **credentials,
            "auth_time": request.session.get(AUTH_TIME),
            "acr": ACR,
            "amr": AMR,
        }
        return super().create_authorization_response(
            request, scopes, credentials, allow
        )

    def _sign_in_is_stale(self, prompt: set[str]) -> bool:
        if "login" in prompt:
            return True
        try:
            max_age = int(self.request.GET["max_age"])
        except (KeyError, ValueError):
            return False
        auth_time = self.request.session.get(AUTH_TIME)
        return auth_time is None or time.time() - auth_time > max_age

    def _sign_in_again(self) -> HttpResponse:
        query = self.request.GET.copy()
        prompt = [p for p in query.get("prompt", "").split() if p != "login"]
        query.pop("prompt", None)
        query.pop("max_age", None)
        if prompt:
            query["prompt"] = " ".join(prompt)
        return redirect_to_login(f"{self.request.path}?{query.urlencode()}")


def control_endpoint(
    action: Callable[..., dict],
) -> Callable[[HttpRequest], HttpResponse]:
    """A JSON POST endpoint for tests, open only to the shared control token."""
    signature = inspect.signature(action)

    @csrf_exempt
    @require_POST
    @wraps(action)
    def view(request: HttpRequest) -> HttpResponse:
        expected = f"Bearer {settings.CONTROL_TOKEN}"
        if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
            return JsonResponse({"error": "control token missing or wrong"}, status=403)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": "body must be JSON"}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"error": "body must be a JSON object"}, status=400)
        try:
            arguments = signature.bind(**body)
        except TypeError as error:
            return JsonResponse({"error": f"fields: {error}"}, status=400)
        try:
            return JsonResponse(action(*arguments.args, **arguments.kwargs))
        except control.ControlError as error:
            return JsonResponse({"error": str(error)}, status=error.status)

    return view


users = control_endpoint(control.user_put)
clients = control_endpoint(control.client_put)
key_rotate = control_endpoint(control.key_rotate)
fault = control_endpoint(control.fault_set)
