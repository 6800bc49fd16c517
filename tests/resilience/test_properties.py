"""Property-based tests (hypothesis): arbitrary input gets a clear error, never a crash.

- the Markdown importer: any text either parses or raises MarkdownError naming
  a line; through the service, a refused text is a ValidationError and writes
  nothing;
- probe targets and options: run_kind never raises, whatever the kind, target,
  options and timeout, and refuses bad input with an "error" result; no
  connection leaves the machine (the resolver and sockets are fenced in);
- every form: arbitrary and hostile text (NUL, ±inf, NaN, 1e308, the years 1
  and 9999, impossible cron dates, 10,000 characters) posted to each form and
  htmx control of every page, and to every page URL, is never a 5xx. The
  endpoints and their fields are read from the pages of the URL configuration,
  so a new form is fuzzed without being listed here.
"""

import json
import os
import socket
from datetime import date, time
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import resolve
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apps.checklists import markdown
from apps.checklists import services as checklists
from apps.checklists.models import ChecklistTemplate
from apps.oncall import services as oncall
from apps.probes.kinds import KINDS, net, run_kind
from tests.resilience.test_access_control import (  # noqa: F401 (world: fixture)
    CLASSIFIED,
    url_of,
    world,
)

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


# Values that broke or could break a form or an API body (issue 16): NUL, the
# infinities and NaN, a float that overflows when multiplied, the calendar's
# first and last years (with offsets that push them out of Python's range), a
# cron that names a day no month has, huge numbers and 10,000 characters.
HOSTILE = [
    "\x00", "a\x00b", "inf", "-inf", "Infinity", "NaN", "nan", "1e308",
    "-1e308", "1e309", "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00", "2026-06-01T09:00:00+23:59", "00:00:00+14:00",
    "0 0 30 2 *", "0 0 31 4,6,9,11 *", "99999999999999999999", "-1", "0",
    "x" * 10_000, "9" * 10_000, "<script>x</script>", "", " ",
]  # fmt: skip
FIELD_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(HOSTILE),
    st.sampled_from(["done", "ready", "approve", "http", "interval", "cron",
                     "UTC", "on", "2026-06-01", "2026-06-01T09:00", "09:00",
                     "2026-13-45", "1", "5"]),
)  # fmt: skip


class _Controls(HTMLParser):
    """Every form and htmx control on a page: (method, url, field names)."""

    VERBS = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete")

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.found = page_url, []
        self._form: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        verbs = [(v.removeprefix("hx-"), a[v]) for v in self.VERBS if a.get(v)]
        if tag == "form":
            method, url = (a.get("method") or "get").lower(), a.get("action")
            if verbs:
                method, url = verbs[0]
            self._form = (method, url or self.page_url, [])
            self.found.append(self._form)
        elif verbs and self._form is None:
            names = [a["name"]] if a.get("name") else []
            if a.get("hx-vals", "").startswith("{"):
                names += list(json.loads(a["hx-vals"]))
            self.found.append((verbs[0][0], verbs[0][1], names))
        named = tag in ("input", "select", "textarea", "button") and a.get("name")
        if named and self._form is not None:
            self._form[2].append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


# Not fuzzed: signing out would leave the other examples signed out.
UNFUZZED = {"accounts:logout"}


@pytest.fixture
def owner(db, request) -> tuple[dict, User]:
    """Team "theirs" of the access-control suite (one of everything) and its lead,
    with an on-call rotation, so that the page shows its override form too."""
    objects = request.getfixturevalue("world")
    lead = objects["team"].memberships.get(role="lead").user
    oncall.rotation_save(
        team=objects["team"],
        by=lead,
        time_zone="UTC",
        handover_weekday=0,
        handover_time=time(9, 0),
        starts_on=date(2026, 1, 5),
        members=[lead],
    )
    return objects, lead


@pytest.fixture
def form_endpoints(owner) -> list[tuple[str, str, list[str]]]:
    """(method, url, fields) of every form of every page, and every page URL.

    Derived, not listed: each page of the URL configuration (path arguments
    filled with team "theirs"'s objects, signed in as its lead) is fetched and
    its forms and htmx controls are read, one endpoint per (method, URL name)
    with every field seen for it; every page URL is also posted to with all
    the field names seen anywhere, so an endpoint no page links to is covered.
    """
    objects, lead = owner
    client = Client(raise_request_exception=False)
    client.force_login(lead)
    pages = [
        url_of(name, objects)
        for name in sorted(CLASSIFIED + ["accounts:login"])
        if name.split(":")[0] != "api" and name not in UNFUZZED
    ]
    found: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for url in pages:
        response = client.get(url)
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        parser = _Controls(url)
        parser.feed(response.content.decode())
        for method, action, names in parser.found:
            action = action.split("?")[0] or url
            name = resolve(action).view_name
            if name not in UNFUZZED:
                _, fields = found.setdefault((method, name), (action, set()))
                fields.update(set(names) - {"csrfmiddlewaretoken"})
    every_name = {field for _, fields in found.values() for field in fields}
    for url in pages:
        found.setdefault(("post", f"all fields: {url}"), (url, every_name))
    return sorted(
        (method, url, sorted(fields)) for (method, _), (url, fields) in found.items()
    )


@pytest.mark.django_db
@settings(FAST, max_examples=int(os.environ.get("SHIPSHAPE_FUZZ_EXAMPLES", 120)))
@given(data=st.data())
def test_arbitrary_text_posted_to_any_form_is_never_a_server_error(
    data, form_endpoints, owner
):
    client = Client(raise_request_exception=False)
    client.force_login(owner[1])
    method, url, fields = data.draw(st.sampled_from(form_endpoints))
    values = data.draw(st.fixed_dictionaries({f: FIELD_TEXT for f in fields}))
    htmx = data.draw(st.booleans())

    response = getattr(client, method if method != "put" else "post")(
        url, values, headers={"HX-Request": "true"} if htmx else {}
    )

    assert response.status_code < 500, (method, url, values, response.status_code)


def test_the_derived_forms_include_those_of_issue_16(form_endpoints):
    """The pages behind issue 16's 500s are among the derived endpoints."""
    urls = {url for _, url, _ in form_endpoints}
    fields = {f for _, _, names in form_endpoints for f in names}
    assert any(url.startswith("/oncall/") for url in urls)
    assert any(url.startswith("/monitoring/probes/") for url in urls)
    assert {"members", "interval_minutes", "since", "until", "cron"} <= fields
    assert len(urls) > 30
