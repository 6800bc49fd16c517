"""/metrics: Prometheus text, counted per view, live values, and who may read it."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.audit import appendonly
from apps.audit import services as audit
from apps.audit.models import AuditEvent
from apps.core import worker_heartbeat

LOOPBACK = "127.0.0.1"
OUTSIDE = "203.0.113.9"


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _scrape(client, **extra) -> str:
    response = client.get("/metrics", REMOTE_ADDR=LOOPBACK, **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def test_requests_are_counted_and_timed_by_view_name(db, client, in_process_settings):
    series = 'shipshape_http_requests_total{method="GET",status="200",view="health"}'
    before = _value(_scrape(client), series)

    client.get("/health/")
    client.get("/health/")
    text = _scrape(client)

    assert _value(text, series) == before + 2
    assert 'shipshape_http_request_duration_seconds_bucket{le="0.005",' in text
    assert 'method="GET",view="health"}' in text


def test_probe_results_and_run_durations_come_from_the_database(
    client, in_process_settings, release, environment
):
    """Rows as the probe workers write them (the workers are another process)."""
    from apps.probes.models import ProbeConfig, ProbeResult, ProbeRun

    config = ProbeConfig.objects.create(
        environment=environment, name="site TLS", kind="tls", target="example.com"
    )
    for status, seconds in (("failed", 4), ("passed", 40)):
        run = ProbeRun.objects.create(
            release=release,
            environment=environment,
            status=status,
            deadline=timezone.now() + timedelta(minutes=5),
        )
        ProbeRun.objects.filter(pk=run.pk).update(
            finished_at=run.created_at + timedelta(seconds=seconds)
        )
        ProbeResult.objects.create(
            run=run,
            config=config,
            name=config.name,
            kind="tls",
            target=config.target,
            status="fail" if status == "failed" else "pass",
            summary="",
            duration_ms=120.0,
        )

    text = _scrape(client)

    assert _value(text, 'shipshape_probe_results{kind="tls",status="fail"}') == 1
    assert _value(text, 'shipshape_probe_results{kind="tls",status="pass"}') == 1
    assert _value(text, 'shipshape_probe_run_duration_seconds_bucket{le="5.0"}') == 1
    assert _value(text, 'shipshape_probe_run_duration_seconds_bucket{le="60.0"}') == 2
    assert _value(text, "shipshape_probe_run_duration_seconds_gsum") == 44


def test_queue_depth_and_live_workers_come_from_redis(
    db, client, redis_settings, private_redis
):
    redis = private_redis.client()
    redis.lpush("celery", "a", "b", "c")
    worker_heartbeat.beat(redis, "celery@one")
    worker_heartbeat.beat(redis, "celery@two")

    text = _scrape(client)

    assert _value(text, 'shipshape_queue_depth{queue="celery"}') == 3
    assert _value(text, "shipshape_workers_seen") == 2


def test_audit_chain_status_follows_the_latest_verification(
    db, client, in_process_settings, lead
):
    text = _scrape(client)
    assert "shipshape_audit_chain_ok " not in text

    audit.record(actor=lead, action="test.first", target_type="x", target_id=1)
    audit.record(actor=lead, action="test.second", target_type="x", target_id=2)
    audit.audit_verify_scheduled()
    text = _scrape(client)
    assert _value(text, "shipshape_audit_chain_ok") == 1
    assert _value(text, "shipshape_audit_chain_events_checked") == 2
    assert _value(text, "shipshape_audit_chain_verified_timestamp_seconds") > 0

    with connection.cursor() as cursor:
        for statement in appendonly.uninstall_sql(connection.vendor):
            cursor.execute(statement)
    AuditEvent.objects.filter(action="test.first").update(action="test.forged")
    audit.audit_verify_scheduled()
    assert _value(_scrape(client), "shipshape_audit_chain_ok") == 0


def test_metrics_are_refused_outside_the_allowed_networks(db, client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)

    assert response.status_code == 403
    assert b"shipshape_" not in response.content


def test_metrics_are_refused_through_a_proxy_even_from_loopback(db, client):
    response = client.get(
        "/metrics", REMOTE_ADDR=LOOPBACK, HTTP_X_FORWARDED_FOR=OUTSIDE
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("offered", "status"),
    [("Bearer scrape-token-123456", 200), ("Bearer wrong", 403), ("", 403)],
)
def test_metrics_token_opens_them_from_anywhere(
    db, client, in_process_settings, offered, status
):
    in_process_settings.METRICS_TOKEN = "scrape-token-123456"

    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=offered)

    assert response.status_code == status


def test_allowed_networks_are_configurable(db, client, in_process_settings):
    in_process_settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]

    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR=LOOPBACK).status_code == 403
