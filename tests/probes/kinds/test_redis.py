"""The redis and queue kinds against real Redis servers.

The shared Redis of the test environment answers the plain cases. For a
password-protected server the tests start their own redis-server with
--requirepass on a free loopback port and stop it afterwards.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.probes.kinds.conftest import probe
from tests.probes.kinds.servers import closed_port
from tests.services import REDIS_URL, require

pytestmark = pytest.mark.redis

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def redis_url() -> str:
    return require("Redis", REDIS_URL, 6379)


@pytest.fixture(scope="module")
def redis_client(redis_url: str):
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def queue_name(redis_client) -> Iterator[str]:
    """A fresh list holding exactly seven jobs, removed after the test."""
    name = f"probe-test-{uuid.uuid4().hex[:12]}"
    redis_client.rpush(name, *[f"job-{index}" for index in range(7)])
    yield name
    redis_client.delete(name)


@pytest.fixture(scope="session")
def locked_redis() -> Iterator[int]:
    """A private redis-server that demands a password; yields its port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = closed_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--requirepass",
            PASSWORD,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/tmp",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def tls_redis(ca, tmp_path_factory) -> Iterator[int]:
    """A private redis-server speaking only TLS, with a trustme certificate."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    folder = tmp_path_factory.mktemp("redis-tls")
    cert = ca.issue_cert("localhost", "cache.shop.test", "127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    port = closed_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(folder / "cert.pem"),
            "--tls-key-file",
            str(folder / "key.pem"),
            "--tls-ca-cert-file",
            str(folder / "ca.pem"),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=5)


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"the private redis-server on port {port} did not start")


def test_ping_passes(redis_url: str) -> None:
    result = probe("redis", redis_url)

    assert result.status == "pass"
    assert result.summary.startswith("PONG in ")
    assert result.observed["reply"] == "PONG"
    assert result.observed["latency_ms"] >= 0
    assert result.observed["version"]
    assert result.observed["used_memory"] > 0


def test_hit_rate_below_the_threshold_fails(redis_url: str, redis_client) -> None:
    key = f"probe-test-miss-{uuid.uuid4().hex}"
    for _ in range(3):
        redis_client.get(key)

    result = probe("redis", redis_url, min_hit_rate="1")

    assert result.observed["keyspace_misses"] >= 3
    assert result.status == "fail"
    assert "is below 100.0%" in result.summary


def test_hit_rate_above_the_threshold_passes(redis_url: str, redis_client) -> None:
    redis_client.get(f"probe-test-miss-{uuid.uuid4().hex}")

    result = probe("redis", redis_url, min_hit_rate="0")

    assert result.status == "pass"
    assert 0 <= result.observed["hit_rate"] <= 1


def test_closed_port_fails(closed: int) -> None:
    result = probe("redis", f"redis://127.0.0.1:{closed}/0")

    assert result.status == "fail"
    assert result.summary == f"connection refused by 127.0.0.1:{closed}"


def test_noauth_fails(locked_redis: int) -> None:
    result = probe("redis", f"redis://127.0.0.1:{locked_redis}/0")

    assert result.status == "fail"
    assert "NOAUTH" in result.summary


def test_wrong_password_fails_and_is_redacted(locked_redis: int) -> None:
    target = f"redis://:Wrong-password-here@127.0.0.1:{locked_redis}/0"

    result = probe("redis", target)
    shown = str(result.to_dict("redis", target))

    assert result.status == "fail"
    assert result.summary.startswith(
        f"authentication failed at 127.0.0.1:{locked_redis}: WRONGPASS"
    )
    assert "Wrong-password-here" not in shown
    assert ":***@127.0.0.1" in shown


def test_right_password_passes(locked_redis: int) -> None:
    result = probe("redis", f"redis://:{PASSWORD}@127.0.0.1:{locked_redis}/0")

    assert result.status == "pass"


def test_rediss_checks_the_certificate_against_the_name(
    tls_redis: int, ca_file: str, resolver
) -> None:
    resolver.names["cache.shop.test"] = ["127.0.0.1"]

    trusted = probe("redis", f"rediss://cache.shop.test:{tls_redis}/0", ca_file=ca_file)
    untrusted = probe("redis", f"rediss://cache.shop.test:{tls_redis}/0")

    assert trusted.status == "pass"
    assert untrusted.status == "fail"
    assert untrusted.summary.startswith(
        f"TLS certificate of cache.shop.test:{tls_redis} not accepted"
    )


def test_queue_depth_is_the_list_length(redis_url: str, queue_name: str) -> None:
    result = probe("queue", redis_url, queue=queue_name)

    assert result.status == "pass"
    assert result.observed["depth"] == 7
    assert result.summary == f"depth 7 ({queue_name} 7)"


def test_queue_above_warn_depth_warns(redis_url: str, queue_name: str) -> None:
    result = probe("queue", redis_url, queue=queue_name, warn_depth="5")

    assert result.status == "warn"
    assert result.summary == f"depth 7 above 5 ({queue_name} 7)"


def test_queue_above_fail_depth_fails(redis_url: str, queue_name: str) -> None:
    result = probe("queue", redis_url, queue=queue_name, warn_depth="2", fail_depth="6")

    assert result.status == "fail"
    assert result.observed["fail_depth"] == 6


def test_several_queues_add_up(redis_url: str, queue_name: str) -> None:
    empty = f"probe-test-empty-{uuid.uuid4().hex[:8]}"

    result = probe("queue", redis_url, queue=f"{queue_name},{empty}")

    assert result.observed["queues"] == {queue_name: 7, empty: 0}
    assert result.observed["depth"] == 7


def test_a_key_that_is_not_a_list_fails(redis_url: str, redis_client) -> None:
    key = f"probe-test-string-{uuid.uuid4().hex[:8]}"
    redis_client.set(key, "not a list")
    try:
        result = probe("queue", redis_url, queue=key)
    finally:
        redis_client.delete(key)

    assert result.status == "fail"
    assert "WRONGTYPE" in result.summary


def test_database_number_is_selected(redis_url: str, redis_client) -> None:
    import redis

    parts = urlsplit(redis_url)
    target = f"redis://{parts.hostname}:{parts.port or 6379}/3"
    other = redis.Redis.from_url(target)
    name = f"probe-test-db3-{uuid.uuid4().hex[:8]}"
    other.rpush(name, "a", "b")
    try:
        result = probe("queue", target, queue=name)
    finally:
        other.delete(name)
        other.close()

    assert result.observed["depth"] == 2


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("http://127.0.0.1:6379/", {}, "scheme http: is not accepted"),
        ("unix:///tmp/redis.sock", {}, "scheme unix: is not accepted"),
        ("redis://127.0.0.1:6379/0?ssl_keyfile=/x", {}, "must not have query"),
        ("redis://127.0.0.1:6379/zero", {}, "must be a database number"),
        ("redis://127.0.0.1:99999/0", {}, "Port out of range"),
        ("redis://127.0.0.1/0", {"queue": "celery\r\nFLUSHALL"}, "not a plain name"),
        ("redis://127.0.0.1/0", {"queue": "a b"}, "not a plain name"),
        (
            "redis://127.0.0.1/0",
            {"warn_depth": "9", "fail_depth": "3"},
            "must not be above",
        ),
    ],
)
def test_refused_targets_and_options_are_errors(
    target: str, options: dict[str, str], message: str, connections
) -> None:
    result = probe("queue", target, **options)

    assert result.status == "error"
    assert message in result.summary
    assert connections == []


def test_a_blocked_redis_is_never_contacted(resolver, connections) -> None:
    resolver.names["cache.internal.example"] = ["172.20.0.9"]

    result = probe("redis", "redis://cache.internal.example:6379/0")

    assert result.status == "fail"
    assert "blocked: cache.internal.example resolves to a refused address" in (
        result.summary
    )
    assert connections == []


def test_a_silent_redis_is_cut_off_at_the_deadline(silent_server) -> None:
    started = time.monotonic()

    result = probe("redis", f"redis://127.0.0.1:{silent_server.port}/0", timeout=1)

    assert result.status == "fail"
    assert "deadline of 1 s exceeded" in result.summary
    assert time.monotonic() - started < 2.0


def test_only_fixed_commands_are_sent(redis_url: str) -> None:
    import redis

    parts = urlsplit(redis_url)
    target = f"redis://{parts.hostname}:{parts.port or 6379}/7"
    name = f"probe-test-monitor-{uuid.uuid4().hex[:8]}"
    watcher = redis.Redis.from_url(redis_url, socket_timeout=3)
    seen = []
    with watcher.monitor() as monitor:
        probe("redis", target)
        probe("queue", target, queue=name)
        while True:
            command = monitor.next_command()
            if command["db"] == 7:
                seen.append(command["command"])
            if command["command"] == f"LLEN {name}":
                break
    watcher.close()

    assert seen == ["SELECT 7", "PING", "INFO", "SELECT 7", f"LLEN {name}"]
