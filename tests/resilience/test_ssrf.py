"""SSRF through a whole probe run and through a webhook send, counted at the socket.

The kind-level table (metadata, private ranges, every numeric encoding, names
resolving to private addresses, rebinding with a fake resolver, redirects with
302/307/scheme change, non-HTTP schemes, the port rule) is
tests/probes/kinds/test_egress.py; webhooks are tests/api/test_webhooks.py.
Here the refused fixture is a real listening socket on loopback, with loopback
not allowed (production's default): every encoding of its address is refused as
"blocked" and the socket accepts 0 connections. A team network opening loopback
on one port only is walked around with redirects and libpq's own spellings of
another port; the other port, listening on TCP and UDP, sees 0 connections.
"""

import pytest

from apps.notifications import egress
from apps.probes import services as probes
from apps.probes.models import ProbeConfig
from tests import factories
from tests.probes.kinds.routes import ROUTES
from tests.probes.kinds.servers import CountingPort, LoopbackHTTPServer

ENCODINGS = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "017700000001",
    "0",
    "[::ffff:127.0.0.1]",
    "[::1]",
    "169.254.169.254",
    "[64:ff9b::a9fe:a9fe]",
    "[::ffff:169.254.169.254]",
    "100.100.100.200",
    "10.0.0.1",
]


@pytest.fixture
def refused(settings):
    settings.PROBE_ALLOWED_NETWORKS = []
    port = CountingPort()
    yield port
    port.close()


def test_a_run_refuses_every_encoding_of_a_refused_address_without_connecting(
    release, lead, refused, django_capture_on_commit_callbacks
):
    for n, host in enumerate(ENCODINGS):
        # Written directly: the configuration could predate the policy.
        ProbeConfig.objects.create(
            environment=release.environment,
            name=f"ssrf {n}",
            kind="http",
            target=f"http://{host}:{refused.port}/latest/meta-data/",
            timeout=2,
        )

    with django_capture_on_commit_callbacks(execute=True):
        run = probes.probe_run_start(release=release, by=lead)

    run.refresh_from_db()
    assert run.results.count() == len(ENCODINGS)
    for result in run.results.all():
        assert result.status == "fail", result.target
        assert "blocked" in result.summary, (result.target, result.summary)
    assert refused.accepted == 0


@pytest.mark.parametrize("host", ENCODINGS)
def test_a_webhook_send_to_a_refused_address_is_blocked_before_connecting(
    refused, host
):
    outcome = egress.post(f"http://{host}:{refused.port}/hook", b"{}", {}, 2)

    assert outcome.status_code is None
    assert "blocked" in outcome.error
    assert refused.accepted == 0


def test_webhook_urls_with_refused_literal_addresses_cannot_be_saved(refused):
    # Canonical literals are refused when saved; other spellings (127.1, 0x7f…)
    # parse as names and are refused on every send (the test above).
    for host in ENCODINGS:
        if egress.net.parse_url(f"http://{host}/", ("http",)).host_is_ip:
            assert egress.check_url(f"http://{host}/hook").startswith("blocked"), host


@pytest.fixture
def open_server():
    """A loopback HTTP server with /health and /redirect-to?url=."""
    server = LoopbackHTTPServer(ROUTES, None).start()
    yield server
    server.shutdown()
    server.server_close()


def _walkarounds(a: int, b: int) -> dict[str, tuple[str, str, dict]]:
    """Probes that start on the open port `a` and try to reach port `b`."""
    to = f"http://127.0.0.1:{a}/redirect-to?url="
    return {
        "http redirect": ("http", f"{to}http://127.0.0.1:{b}/", {}),
        "http redirect, 127.1": ("http", f"{to}http://127.1:{b}/", {}),
        "http redirect, mapped": ("http", f"{to}http://[::ffff:127.0.0.1]:{b}/", {}),
        "headers redirect": ("headers", f"{to}http://127.0.0.1:{b}/", {}),
        "postgres ?port=": ("postgres", f"postgres://u@127.0.0.1:{a}/db?port={b}", {}),
        "postgres p%6frt": (
            "postgres",
            f"postgresql://u@127.0.0.1:{a}/db?p%6frt={b}",
            {},
        ),
        "postgres ?host=&port=": (
            "postgres",
            f"postgres://u@127.0.0.1:{a}/db?host=127.0.0.1&port={b}",
            {},
        ),
        "postgres port twice": ("postgres", f"host=127.0.0.1 port={a} port={b}", {}),
        "postgres host list": (
            "postgres",
            f"postgres://u@127.0.0.1:{a},127.0.0.1:{b}/db",
            {},
        ),
        "postgres hostaddr": (
            "postgres",
            f"postgres://u@127.0.0.1:{a}/db?hostaddr=127.0.0.1&port={b}",
            {},
        ),
        "redis": ("redis", f"redis://127.0.0.1:{b}/0", {}),
        "tls": ("tls", f"127.0.0.1:{b}", {}),
        "dns server": ("dns", "app.shop.example", {"nameserver": f"127.0.0.1:{b}"}),
        "kubernetes": ("k8s", "shop", {"api_server": f"https://127.0.0.1:{b}"}),
    }


def test_a_team_network_port_rule_holds_for_every_connection_of_a_run(
    release, lead, open_server, refused, django_capture_on_commit_callbacks
):
    admin = factories.member(release.team, "admin")
    probes.team_network_add(
        team=release.team, cidr="127.0.0.1/32", ports=str(open_server.port), by=admin
    )
    a, b = open_server.port, refused.port
    walkarounds = _walkarounds(a, b)
    for name, (kind, target, options) in walkarounds.items():
        # Written directly: the configuration could predate the policy.
        ProbeConfig.objects.create(
            environment=release.environment,
            name=name,
            kind=kind,
            target=target,
            options=options,
            timeout=2,
        )
    ProbeConfig.objects.create(
        environment=release.environment,
        name="open port",
        kind="http",
        target=f"http://127.0.0.1:{a}/health",
        # A loaded machine must not turn the control into a latency warning.
        options={"max_latency_ms": "60000"},
        timeout=2,
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = probes.probe_run_start(release=release, by=lead)

    results = {result.name: result for result in run.results.all()}
    assert results.pop("open port").status == "pass"
    assert set(results) == set(walkarounds)
    for name, result in results.items():
        assert result.status in ("fail", "error"), (name, result.summary)
    for name in walkarounds:
        if "list" not in name and "hostaddr" not in name:
            assert f"not port {b}" in results[name].summary, results[name].summary
    assert refused.accepted == 0
    assert refused.datagrams == 0
