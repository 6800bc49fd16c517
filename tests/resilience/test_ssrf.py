"""SSRF through a whole probe run and through a webhook send, counted at the socket.

The kind-level table (metadata, private ranges, every numeric encoding, names
resolving to private addresses, rebinding with a fake resolver, redirects with
302/307/scheme change, non-HTTP schemes) is tests/probes/kinds/test_egress.py;
webhooks are tests/api/test_webhooks.py. Here the refused fixture is a real
listening socket on loopback, with loopback not allowed (production's default):
every encoding of its address is refused as "blocked" and the socket accepts 0
connections.
"""

import socket
import threading

import pytest

from apps.notifications import egress
from apps.probes import services as probes
from apps.probes.models import ProbeConfig

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


class Listener:
    """A socket on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


@pytest.fixture
def refused(settings):
    settings.PROBE_ALLOWED_NETWORKS = []
    listener = Listener()
    yield listener
    listener.sock.close()


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
