"""Request bodies the API cannot take are refused, against a real gunicorn.

Django's test client neither sends chunked bodies nor goes through a WSGI
server's framing, so these tests start gunicorn (as in production: DEBUG off)
on the test database and talk HTTP/1.1 to it with http.client. Rows are
committed (transactional_db) so that gunicorn's own connection sees them.
"""

import http.client
import json

import pytest
from django.db import connection

from apps.accounts import tokens
from tests.core import gunicorn as live
from tests.core.private_redis import free_port

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, django_db_blocker):
    """gunicorn serving the app on the test database, one worker, DEBUG off."""
    with django_db_blocker.unblock():
        database = connection.settings_dict
    port = free_port()
    env = live.env_for_test_database(
        database, "request-bodies", API_MAX_BODY_BYTES="1048576"
    )
    args = ("--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "30")
    with live.started(env, (*args, "config.wsgi"), live.health(port)):
        yield port


@pytest.fixture
def token(transactional_db, lead) -> str:
    _token, secret = tokens.token_create(user=lead, name="bodies", expires_at=None)
    return secret


def _send(port: int, method: str, path: str, token: str, **request) -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        **request.pop("headers", {}),
    }
    conn.request(method, path, headers=headers, **request)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type"), body


def test_a_chunked_body_is_refused_with_411_and_changes_nothing(
    gunicorn, token, release
):
    chunks = iter([b'{"notes": ', b'"changed by a chunked body"}'])

    status, content_type, body = _send(
        gunicorn,
        "PATCH",
        f"/api/v1/releases/{release.pk}/",
        token,
        body=chunks,
        encode_chunked=True,
        headers={"Transfer-Encoding": "chunked"},
    )

    release.refresh_from_db()
    assert status == 411
    assert content_type == "application/json"
    assert "Content-Length" in json.loads(body)["detail"]
    assert release.notes == ""


def test_a_body_over_two_mebibytes_is_a_json_413(gunicorn, token, release):
    payload = b'{"notes": "' + b"x" * (3 * 1024 * 1024) + b'"}'

    status, content_type, body = _send(
        gunicorn, "PATCH", f"/api/v1/releases/{release.pk}/", token, body=payload
    )

    release.refresh_from_db()
    assert status == 413
    assert content_type == "application/json"
    assert json.loads(body) == {"detail": "Send at most 1048576 bytes."}
    assert release.notes == ""


def test_a_large_body_within_the_limit_is_read_whole(gunicorn, token, release):
    # 900 kB of JSON whitespace before the closing brace: all of it is read.
    payload = b'{"notes": "read whole"' + b" " * 900_000 + b"}"

    status, _content_type, _body = _send(
        gunicorn, "PATCH", f"/api/v1/releases/{release.pk}/", token, body=payload
    )

    release.refresh_from_db()
    assert status == 200
    assert release.notes == "read whole"


def test_a_chunked_body_to_a_page_is_refused_with_411_too(gunicorn, transactional_db):
    status, content_type, body = _send(
        gunicorn,
        "POST",
        "/accounts/login/",
        "",
        body=iter([b"username=lead&password=x"]),
        encode_chunked=True,
        headers={
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert status == 411
    assert content_type.startswith("text/plain")
    assert b"Content-Length" in body
