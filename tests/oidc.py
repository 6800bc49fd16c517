"""A real OpenID provider for the single sign-on tests, and its pytest fixture.

tests/oidc_provider is a small Django project on django-oauth-toolkit in OIDC mode
(no mock); `oidc_provider` serves it with gunicorn on a free 127.0.0.1 port for the
whole session and hands tests an OIDCProvider: the issuer, a registered client, the
control surface (users, groups, clients, key rotation, faulty ID tokens) and
sign_in(), which drives the provider's login form over HTTP. Registered once in
tests/conftest.py. tests/oidc_provider/README.md shows how to use it.
"""

import contextlib
import functools
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
# Loopback redirect URIs match any port (RFC 8252), so a live server on a port
# chosen at run time can use the default client without registering again.
DEFAULT_CLIENT_ID = "shipshape"
DEFAULT_REDIRECT_URIS = ("http://127.0.0.1/oidc/callback/", "http://127.0.0.1/callback")
DEFAULT_POST_LOGOUT_REDIRECT_URIS = (
    "http://127.0.0.1/",
    "http://127.0.0.1/accounts/login/",
)
FAULTS = (
    "unknown_key",
    "bad_signature",
    "wrong_aud",
    "wrong_iss",
    "expired",
    "wrong_nonce",
    "alg_none",
)


class ProviderError(Exception):
    """The provider refused a control request or answered a flow unexpectedly."""


class SignInRefused(Exception):
    """The provider's login form came back with an error (the text it showed)."""


@dataclass(frozen=True)
class Client:
    """A client registered with the provider, secret in clear."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class SignIn:
    """Where the provider sent the browser back to, not yet followed.

    params is that URL's query: code, state and iss; or error and
    error_description. login_form_shown says whether the user had to sign in.
    """

    location: str
    params: dict[str, str]
    login_form_shown: bool


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.alert: list[str] = []
        self._in_alert = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attributes.get("action") or ""
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""
        elif attributes.get("role") == "alert":
            self._in_alert = True

    def handle_endtag(self, tag: str) -> None:
        self._in_alert = False

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alert.append(data.strip())


class OIDCProvider:
    """The running provider: its addresses, default client and control surface."""

    def __init__(self, url: str, control_token: str, log_path: Path) -> None:
        self.url = url
        self.issuer = f"{url}/o"
        self.log_path = log_path
        self._control = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {control_token}"},
            timeout=30,
        )
        # Server-to-server calls (discovery, JWKS, token, userinfo) share one
        # cookie-less connection pool; a client per call costs a TLS context.
        self.backchannel = httpx.Client(timeout=30)
        self.client: Client | None = None

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def client_secret(self) -> str:
        return self.client.client_secret

    def discovery(self) -> dict:
        response = self.backchannel.get(
            f"{self.issuer}/.well-known/openid-configuration"
        )
        response.raise_for_status()
        return response.json()

    @functools.cached_property
    def endpoints(self) -> dict:
        """The discovery document as first fetched (its URLs never change)."""
        return self.discovery()

    def jwks(self) -> dict:
        response = self.backchannel.get(self.endpoints["jwks_uri"])
        response.raise_for_status()
        return response.json()

    def _post(self, path: str, **body: object) -> dict:
        response = self._control.post(path, json=body)
        if response.status_code != 200:
            raise ProviderError(f"{path}: {response.status_code} {response.text}")
        return response.json()

    def create_user(
        self,
        username: str,
        *,
        password: str,
        email: str | None = None,
        name: str = "",
        groups: tuple[str, ...] | list[str] = (),
    ) -> dict:
        """Create (or reset) an active user; returns the claims' view: sub,
        username, email, name, groups, active."""
        return self._post(
            "/_test/users",
            username=username,
            password=password,
            email=f"{username}@example.com" if email is None else email,
            name=name,
            groups=list(groups),
            active=True,
        )

    def update_user(self, username: str, **changes: object) -> dict:
        """Change any of password, email, name, groups, active."""
        return self._post("/_test/users", username=username, **changes)

    def set_groups(self, username: str, groups: tuple[str, ...] | list[str]) -> dict:
        return self.update_user(username, groups=list(groups))

    def deactivate_user(self, username: str) -> dict:
        """Sign-in refused from now on; the user's tokens and sessions stop."""
        return self.update_user(username, active=False)

    def register_client(
        self,
        *,
        redirect_uris: tuple[str, ...] | list[str],
        post_logout_redirect_uris: tuple[str, ...] | list[str] = (),
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> Client:
        """Register a confidential code-flow client, or replace the one with this
        client_id (its secret too: given, or a new one)."""
        answer = self._post(
            "/_test/clients",
            redirect_uris=list(redirect_uris),
            post_logout_redirect_uris=list(post_logout_redirect_uris),
            client_id=client_id,
            client_secret=client_secret,
        )
        return Client(
            client_id=answer["client_id"],
            client_secret=answer["client_secret"],
            redirect_uris=tuple(answer["redirect_uris"]),
            post_logout_redirect_uris=tuple(answer["post_logout_redirect_uris"]),
        )

    def rotate_key(self, *, keep_old: bool = False) -> dict:
        """Sign with a new key; returns kid, previous_kid and the published kids."""
        return self._post("/_test/keys/rotate", keep_old=keep_old)

    @contextlib.contextmanager
    def fault(self, name: str) -> Iterator[None]:
        """Make the next ID token issued inside the block defective (see FAULTS).

        Leaving the block disarms it, and fails the test if no ID token used it,
        so a test cannot pass without meeting the fault.
        """
        self._post("/_test/fault", name=name)
        try:
            yield
        except BaseException:
            self._post("/_test/fault", name=None)
            raise
        unused = self._post("/_test/fault", name=None)["unused"]
        if unused:
            raise AssertionError(f"no ID token was issued: fault {unused} unused")

    def sign_in(
        self,
        http: httpx.Client,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> SignIn:
        """Follow an authorization URL through the provider, signing in on its
        form when it appears, up to the redirect back to the client.

        http keeps the provider's session cookie between calls, as a browser
        would. Raises SignInRefused when the form rejects the credentials, or
        appears when none were given.
        """
        if not url.startswith(f"{self.url}/"):
            raise ValueError(f"not a provider URL: {url}")
        form_shown = posted = False
        response = http.get(url, follow_redirects=False)
        for _ in range(10):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if not location.startswith(f"{self.url}/"):
                    params = dict(parse_qsl(urlsplit(location).query))
                    return SignIn(location, params, form_shown)
                response = http.get(location, follow_redirects=False)
                continue
            form = _Form()
            form.feed(response.text)
            if response.status_code != 200 or "password" not in form.fields:
                raise ProviderError(f"{response.status_code} at {response.url}")
            form_shown = True
            if posted or username is None or password is None:
                raise SignInRefused(" ".join(form.alert) or "sign-in form shown")
            posted = True
            fields = {**form.fields, "username": username, "password": password}
            action = urljoin(str(response.url), form.action or str(response.url))
            response = http.post(action, data=fields, follow_redirects=False)
        raise ProviderError(f"too many redirects from {url}")


def _start(directory: Path) -> Iterator[OIDCProvider]:
    # The fixture binds the port and hands the socket to gunicorn, so no other
    # process can take the port between choosing it and listening on it.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    control_token = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_ISSUER": f"{url}/o",
        "OIDC_PROVIDER_CONTROL_TOKEN": control_token,
        "OIDC_PROVIDER_DATA": str(directory),
        "PYTHONPATH": str(ROOT),
    }
    log_path = directory / "provider.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--bind=fd://{listener.fileno()}",
        # One process: the signing key and the armed fault live in its memory.
        "--workers=1",
        "--threads=8",
        "--timeout=0",
        "--graceful-timeout=2",
        "--no-control-socket",
        "--access-logfile=-",
        f"--chdir={ROOT}",
        "tests.oidc_provider.wsgi:application",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
        )
    listener.close()
    provider = OIDCProvider(url, control_token, log_path)
    try:
        _wait_until_ready(process, provider)
        provider.client = provider.register_client(
            client_id=DEFAULT_CLIENT_ID,
            client_secret=secrets.token_urlsafe(32),
            redirect_uris=DEFAULT_REDIRECT_URIS,
            post_logout_redirect_uris=DEFAULT_POST_LOGOUT_REDIRECT_URIS,
        )
        yield provider
    finally:
        provider.backchannel.close()
        provider._control.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(process: subprocess.Popen, provider: OIDCProvider) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            provider.discovery()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    log = provider.log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"the test OpenID provider did not start:\n{log}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OIDCProvider]:
    """A real OpenID provider on 127.0.0.1 for the whole test session."""
    yield from _start(tmp_path_factory.mktemp("oidc-provider"))
