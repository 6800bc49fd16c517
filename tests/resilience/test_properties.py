"""Property-based tests (hypothesis): arbitrary input gets a clear error, never a crash.

- the Markdown importer: any text either parses or raises MarkdownError naming
  a line; through the service, a refused text is a ValidationError and writes
  nothing;
- probe targets and options: run_kind never raises, whatever the kind, target,
  options and timeout, and refuses bad input with an "error" result; no
  connection leaves the machine (the resolver and sockets are fenced in);
- every form: arbitrary text posted to each form endpoint (and to the filter
  forms' query strings) is never a 5xx.
"""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apps.checklists import markdown
from apps.checklists import services as checklists
from apps.checklists.models import ChecklistTemplate
from apps.probes.kinds import KINDS, net, run_kind
from apps.probes.models import ProbeConfig

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text that looks like a checklist more often than uniform noise would.
MARKDOWN_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        ["# Title", "## Pre-Deployment", "### 1. Section", "- [ ] item", "- [x] done",
         "```bash", "```", "  detail", "## Sign-Off", "- [ ] a: `cmd`", "", "#", "##"]
    ),
)  # fmt: skip
MARKDOWN = st.lists(MARKDOWN_LINES, max_size=30).map("\n".join)


@given(source=MARKDOWN)
@FAST
@example(source="# T\n## Pre-Deployment\n### 1. S\n- [ ] x\n\x00")
def test_any_text_parses_or_names_its_bad_line(source):
    try:
        markdown.parse(source)
    except markdown.MarkdownError as error:
        assert str(error)


@pytest.mark.django_db
@given(source=MARKDOWN)
@FAST
def test_a_refused_import_is_a_validation_error_and_writes_nothing(source, lead_user):
    before = ChecklistTemplate.objects.count()
    try:
        checklists.template_import(source=source, name="fuzzed", by=lead_user)
    except ValidationError as error:
        assert error.messages
        assert ChecklistTemplate.objects.count() == before


@pytest.fixture
def lead_user(lead):
    return lead


@pytest.fixture
def fenced_network(monkeypatch):
    """Names resolve only if numeric; sockets may reach loopback only."""

    def numeric_only(host: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
        return list(dict.fromkeys(info[4][0] for info in infos))

    real_connect = socket.socket.connect

    def loopback_only(self, address):
        host = address[0] if isinstance(address, tuple) else ""
        if not str(host).startswith(("127.", "::1")):
            raise OSError("the test fence refuses non-loopback connections")
        return real_connect(self, address)

    monkeypatch.setattr(net, "resolver", numeric_only)
    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    monkeypatch.setattr(socket.socket, "sendto", loopback_only)


OPTION_VALUES = st.one_of(
    st.text(max_size=40), st.sampled_from(["-1", "1e999", "nan", "0", "999999"])
)


@given(
    kind=st.one_of(st.sampled_from(sorted(KINDS)), st.text(max_size=10)),
    target=st.one_of(
        st.text(max_size=120),
        st.builds(
            "{}://{}{}".format,
            st.sampled_from(["http", "https", "postgres", "redis", "ftp", "file"]),
            st.text(max_size=40),
            st.text(max_size=20),
        ),
    ),
    options=st.dictionaries(
        st.one_of(
            st.sampled_from(
                [
                    "expect_status",
                    "max_ms",
                    "samples",
                    "body",
                    "json",
                    "header",
                    "ca_file",
                    "query",
                    "min_days",
                    "token",
                ]
            ),
            st.text(max_size=15),
        ),
        OPTION_VALUES,
        max_size=4,
    ),  # fmt: skip
    timeout=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.3, 0.5])
    ),
)
@FAST
def test_run_kind_never_raises_and_refuses_bad_input_with_an_error(
    fenced_network, kind, target, options, timeout
):
    result = run_kind(kind, target, options, timeout=timeout)

    assert result.status in {"pass", "warn", "fail", "error"}
    assert isinstance(result.summary, str) and result.summary
    if kind not in KINDS:
        assert result.status == "error"


@pytest.fixture
def form_endpoints(release, environment) -> list[tuple[str, str, list[str]]]:
    """(method, url, fields) of every form, on the signed-in lead's own objects."""
    config = ProbeConfig.objects.create(
        environment=environment, name="fuzz", kind="http", target="http://127.0.0.1:9/"
    )
    item = release.items.first()
    return [
        ("post", reverse("accounts:login"), ["username", "password"]),
        ("post", reverse("releases:new"),
         ["service", "environment", "template", "version", "planned_for", "notes"]),
        ("post", reverse("releases:item-state", args=[item.pk]), ["state", "note"]),
        ("post", reverse("releases:transition", args=[release.pk]),
         ["target", "reason", "notes", "override"]),
        ("post", reverse("signoffs:record", args=[release.pk]),
         ["role_key", "decision", "comment", "confirm"]),
        ("post", reverse("catalog:probe-new", args=[environment.pk]),
         ["name", "kind", "target", "options", "timeout", "enabled", "secret",
          "secret_env", "verifies"]),
        ("post", reverse("catalog:probe-edit", args=[config.pk]),
         ["name", "kind", "target", "options", "timeout", "remove_secret"]),
        ("post", reverse("checklists:import"), ["team", "name", "source"]),
        ("post", reverse("accounts:tokens"), ["name", "expires_at", "read_only"]),
        ("post", reverse("notifications:email-preferences"), ["events", "digest"]),
        ("get", reverse("releases:dashboard"),
         ["q", "service", "environment", "status"]),
        ("get", reverse("releases:history"),
         ["q", "service", "status", "finished_from", "finished_to"]),
        ("get", reverse("records:audit-export"),
         ["since", "until", "team", "action", "format"]),
    ]  # fmt: skip


FIELD_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "0", "-1", "99999999999999999999", "done", "ready",
                     "approve", "http", "1e999", "2026-13-45", "on", "\x00",
                     "<script>x</script>"]),
)  # fmt: skip


@pytest.mark.django_db
@settings(FAST, max_examples=100)
@given(data=st.data())
def test_arbitrary_text_posted_to_any_form_is_never_a_server_error(
    data, form_endpoints, lead
):
    client = Client(raise_request_exception=False)
    client.force_login(lead)
    method, url, fields = data.draw(st.sampled_from(form_endpoints))
    values = data.draw(st.fixed_dictionaries({f: FIELD_TEXT for f in fields}))
    htmx = data.draw(st.booleans())

    response = getattr(client, method)(
        url, values, headers={"HX-Request": "true"} if htmx else {}
    )

    assert response.status_code < 500, (method, url, values, response.status_code)
