"""What MDN's HTTP Observatory (algorithm version 5) reads from a page's HTML.

`<meta http-equiv="Content-Security-Policy">` and `<meta name="referrer">`
count like headers, but only when the Content-Type is exactly `text/html` or
`application/xhtml+xml` (before any `;`). The subresource-integrity test reads
every `<script>`: a `src` written `//host/...` is foreign; one starting with
`http://` or `https://` is foreign unless its registrable domain (Public
Suffix List, ICANN section) is the scanned host's; anything else is relative.
A foreign script loaded over https with an integrity attribute is fine, one
loaded over http or protocol-relative is penalised, with or without SRI; a
same-domain script over http is not penalised at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from apps.probes.kinds.domains import registrable_domain
from apps.probes.kinds.jsstrings import js_trim

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# From best to worst, the Observatory's order for keeping a page's worst script.
ORDER = (
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
)
_PROTOCOL_RELATIVE = re.compile(r"//[^/]")
_FULL_URL = re.compile(r"https?://")


class _Elements(HTMLParser):
    """Collects the attributes of every <script> and <meta> element.

    A repeated attribute keeps its first value, and a value-less attribute is
    an empty string, as in htmlparser2.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str]] = []
        self.metas: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("script", "meta"):
            return
        attributes: dict[str, str] = {}
        for name, value in attrs:
            attributes.setdefault(name, value or "")
        (self.scripts if tag == "script" else self.metas).append(attributes)


@dataclass(frozen=True)
class Markup:
    """The parts of a page's HTML the Observatory reads."""

    scripts: list[dict[str, str]] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    referrer: list[str] = field(default_factory=list)


def mime_type(content_type: str | None) -> str:
    """The Content-Type before any `;`, neither trimmed nor lower-cased."""
    return (content_type or "").split(";")[0]


def read(body: bytes, content_type: str | None) -> Markup:
    """Parse a body for scripts, and for meta policies when it is typed as HTML."""
    parser = _Elements()
    parser.feed(body.decode("utf-8", "replace"))
    parser.close()
    if mime_type(content_type) not in HTML_TYPES or not body:
        return Markup(scripts=parser.scripts)
    csp, referrer = [], []
    for meta in parser.metas:
        if "http-equiv" in meta and "content" in meta:
            equiv = js_trim(meta["http-equiv"].lower())
            if equiv == "content-security-policy" and meta["content"]:
                csp.append(meta["content"])
        elif js_trim(meta.get("name", "").lower()) == "referrer" and meta.get(
            "content"
        ):
            # The last <meta name="referrer"> wins, as it would in a browser.
            referrer = [meta["content"]]
    return Markup(scripts=parser.scripts, csp=csp, referrer=referrer)


def test_sri(
    scripts: Sequence[dict[str, str]],
    content_type: str | None,
    *,
    site_host: str,
    https: bool,
) -> str:
    """The subresource-integrity result for a page's scripts."""
    mime = mime_type(content_type)
    if mime and mime not in HTML_TYPES:
        return "sri-not-implemented-response-not-html"
    site_domain = registrable_domain(site_host)
    found = []
    foreign_seen = False
    for script in scripts:
        src = script.get("src")
        if not src:
            continue
        integrity = bool(script.get("integrity"))
        protocol_relative = bool(_PROTOCOL_RELATIVE.match(src))
        relative = not protocol_relative and not _FULL_URL.match(src)
        same_domain = (
            protocol_relative
            or relative
            or registrable_domain(urlsplit(src).hostname) == site_domain
        )
        foreign = not relative and (protocol_relative or not same_domain)
        secure = src.startswith("https://") or (relative and https)
        if not foreign:
            # The best result: any worse one found before or after wins.
            if integrity and secure:
                found.append("sri-implemented-and-all-scripts-loaded-securely")
            continue
        foreign_seen = True
        if integrity and not secure:
            found.append("sri-implemented-but-external-scripts-not-loaded-securely")
        elif not integrity and secure:
            found.append("sri-not-implemented-but-external-scripts-loaded-securely")
        elif not integrity:
            found.append("sri-not-implemented-and-external-scripts-not-loaded-securely")
    if not scripts:
        return "sri-not-implemented-but-no-scripts-loaded"
    if found:
        return max(found, key=ORDER.index)
    if foreign_seen:
        return "sri-implemented-and-external-scripts-loaded-securely"
    return "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
