"""Hardened settings: check --deploy, HTTPS cookies and headers, CSP, proxies."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import RequestFactory

from apps.core.middleware import client_ip

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "shipshape.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://shipshape.example.com",
    "SITE_URL": "https://shipshape.example.com",
}


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a
    # production process never has it.
    inherited = {
        k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_security_checks_report_nothing_with_debug_off():
    done = _run(
        [
            "manage.py",
            "check",
            "--deploy",
            "--tag",
            "security",
            "--fail-level",
            "DEBUG",
        ],
        PRODUCTION,
    )

    assert done.returncode == 0, done.stderr + done.stdout
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_check_deploy_reports_nothing_at_all_with_debug_off():
    done = _run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION)

    assert done.returncode == 0, done.stderr + done.stdout
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_check_deploy_warns_when_site_url_is_unset():
    done = _run(["manage.py", "check", "--deploy"], {**PRODUCTION, "SITE_URL": ""})

    assert done.returncode == 0, done.stderr + done.stdout
    assert "shipshape.W001" in done.stderr + done.stdout
    assert "SITE_URL is not set" in done.stderr + done.stdout


@pytest.mark.parametrize(
    "value", ["shipshape.example.com", "ftp://x.example.com", "https://x/?a=1"]
)
def test_a_malformed_site_url_stops_startup_naming_it(value):
    done = _run(["manage.py", "check"], {**PRODUCTION, "SITE_URL": value})

    assert done.returncode != 0
    assert "SITE_URL must" in done.stderr


def test_debug_off_without_a_secret_key_refuses_to_start():
    env = {**PRODUCTION, "SECRET_KEY": ""}

    done = _run(["manage.py", "check"], env)

    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


def _production_settings(extra: dict | None = None) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k, None) for k in ["
        "'SESSION_COOKIE_NAME', 'CSRF_COOKIE_NAME', 'SESSION_COOKIE_SECURE',"
        "'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY',"
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER',"
        "'LOG_FORMAT']} | {'db_options': s.DATABASES['default']['OPTIONS']}))"
    )
    env = {
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://shipshape@db.internal:5432/shipshape",
        **(extra or {}),
    }
    done = _run(["-c", code], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_httponly_and_host_prefixed():
    values = _production_settings()

    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["LOG_FORMAT"] == "json"
    assert values["db_options"]["options"] == "-c statement_timeout=30000"
    assert values["db_options"]["connect_timeout"] == 5


def test_tls_terminating_proxy_header_is_configurable_and_http_drops_host_prefix():
    values = _production_settings(
        {"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto", "HTTPS": "false"}
    )

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SESSION_COOKIE_NAME"] == "sessionid"
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.postgres
def test_database_sessions_carry_a_statement_timeout(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"


def test_pages_send_a_strict_csp_and_the_other_security_headers(db, client):
    response = client.get("/accounts/login/")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_sign_in_page_has_no_inline_script_or_event_handler(db, client):
    html = client.get("/accounts/login/").content.decode()

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert "hx-on" not in html


def test_cross_origin_requests_get_no_cors_grant(db, client):
    response = client.get(
        "/health/", HTTP_ORIGIN="https://evil.example", REMOTE_ADDR="127.0.0.1"
    )

    assert "Access-Control-Allow-Origin" not in response.headers


def test_https_redirect_spares_the_ops_endpoints(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True

    page = client.get("/accounts/login/")
    health = client.get("/health/")

    assert page.status_code == 301
    assert page["Location"].startswith("https://")
    assert health.status_code == 200


def test_ops_endpoints_answer_a_pod_address_that_pages_refuse(db, client, settings):
    settings.ALLOWED_HOSTS = ["shipshape.example.com"]

    health = client.get("/health/", HTTP_HOST="10.1.2.3:8000")
    page = client.get("/accounts/login/", HTTP_HOST="10.1.2.3:8000")

    assert health.status_code == 200
    assert page.status_code == 400


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "10.0.0.5"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.5"),
        (1, "not-an-address", "10.0.0.5"),
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.NUM_PROXIES = proxies
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert client_ip(request) == expected


def test_postgresql_statements_are_prepared_unless_turned_off():
    prepared = _production_settings()["db_options"]
    assert prepared["server_side_binding"] is True
    assert prepared["prepare_threshold"] == 2

    plain = _production_settings({"DB_PREPARED_STATEMENTS": "false"})["db_options"]
    assert "server_side_binding" not in plain
    assert "prepare_threshold" not in plain


def test_a_malformed_prepared_statements_switch_is_a_clear_error():
    env = {**PRODUCTION, "DB_PREPARED_STATEMENTS": "sometimes"}
    env["DATABASE_URL"] = "postgres://shipshape@db.internal:5432/shipshape"

    done = _run(["manage.py", "check"], env)

    assert done.returncode != 0
    assert "DB_PREPARED_STATEMENTS" in done.stderr
    assert "Traceback" not in done.stderr
