"""Content-Security-Policy read the way MDN's HTTP Observatory (version 5) reads it.

The Observatory does not ask what a browser would enforce; it runs its own
parser and its own checks, and the score follows them, quirks included:

- Every header, and every comma-separated part of one, is a policy; `<meta
  http-equiv>` policies join them. A policy shorter than six characters, a
  repeated directive (other than report-uri and report-to) or a malformed
  percent-escape met while merging policies makes the header invalid.
  Directive names are not checked: `bad_directive!` is simply a directive.
- A directive with no sources is `'none'`. Sources are lower-cased, and a
  source that another source of the same policy starts is dropped.
- Several policies are merged pairwise over their sources sorted in ICU's
  English collation order: a later policy's source survives only if it sits
  next to an equal (or path-covered) source of an earlier one, and a directive
  that only a later policy names ends up as `'none'`.
- script-src and style-src fall back to default-src, then to `*`; a nonce or
  hash cancels `'unsafe-inline'`; `'strict-dynamic'` needs a nonce or hash
  (without one the header is invalid) and then drops `'self'`, `'unsafe-inline'`
  and every scheme or wildcard source.
- The first failing check names the result, in this order: unsafe script or
  object sources, http:/ftp: active content on an HTTPS page, `'unsafe-eval'`,
  http:/ftp: images or media, unsafe style sources, then default-src `'none'`
  alone (+10) or else no unsafe sources (+5). form-action is not consulted,
  whatever the published table says.
- A passing result (including passive mixed content) becomes
  `csp-implemented-but-duplicate-directives` (0) when report-uri or report-to
  is repeated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from apps.probes.kinds.jsstrings import WHITESPACE, js_trim

SHORTEST_POLICY = len("img-src") - 1
DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")
ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})
BROAD = frozenset(
    {
        "ftp:",
        "http:",
        "https:",
        "*",
        "http://*",
        "http://*.*",
        "https://*",
        "https://*.*",
    }
)
BROAD_OR_INLINE = BROAD | {"'unsafe-inline'", "data:"}
PASSIVE = ("img-src", "media-src")
NONCES_AND_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
PASSING = frozenset(
    {
        "csp-implemented-with-no-unsafe",
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    }
)

# The order in which Intl.Collator("en") sorts lower-case printable ASCII
# (checked against Node's ICU). Other characters sort after these, by code
# point, which can differ from ICU only for sources outside ASCII.
_COLLATION = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_RANK = {char: rank for rank, char in enumerate(_COLLATION)}
_JS_WHITESPACE = re.compile(f"[{WHITESPACE}]+")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


class CspInvalid(ValueError):
    """The Observatory cannot parse the policy: the header scores as invalid."""


@dataclass
class _Source:
    text: str
    policy: int
    keep: bool


@dataclass
class Policy:
    """Parsed policies: each directive's sources, and the repeated report directives."""

    directives: dict[str, set[str]] = field(default_factory=dict)
    duplicates: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.directives) + (1 if self.duplicates else 0)


@dataclass(frozen=True)
class CspAnalysis:
    """The CSP test's result, and the merged directives when it got that far."""

    result: str
    directives: dict[str, set[str]] | None


def _collation_key(text: str) -> tuple[int, ...]:
    return tuple(_RANK.get(char, len(_RANK) + ord(char)) for char in text)


def _decode_component(text: str) -> str:
    """JavaScript's decodeURIComponent: a malformed escape invalidates the header."""
    if "%" not in text:
        return text
    pieces, position = [], 0
    for match in _ESCAPES.finditer(text):
        if "%" in text[position : match.start()]:
            raise CspInvalid(f"malformed escape in {text!r}")
        pieces.append(text[position : match.start()])
        escaped = bytes.fromhex(match.group().replace("%", ""))
        try:
            pieces.append(escaped.decode("utf-8"))
        except UnicodeDecodeError:
            raise CspInvalid(f"malformed escape in {text!r}") from None
        position = match.end()
    if "%" in text[position:]:
        raise CspInvalid(f"malformed escape in {text!r}")
    return "".join(pieces) + text[position:]


def _path_covers(earlier: str, later: str) -> bool:
    """Whether a source of an earlier policy allows a source of a later one."""
    if not earlier:
        return True
    if earlier == "/" and not later:
        return True
    exact = not earlier.endswith("/")
    earlier_parts, later_parts = earlier.split("/"), later.split("/")
    if len(earlier_parts) > len(later_parts):
        return False
    if exact and len(earlier_parts) != len(later_parts):
        return False
    if not exact:
        earlier_parts.pop()
    return all(
        _decode_component(part) == _decode_component(later_parts[index])
        for index, part in enumerate(earlier_parts)
    )


def parse(policies: Sequence[str]) -> Policy:
    """Parse and merge a list of policies; CspInvalid when the Observatory cannot."""
    cleaned = [js_trim(re.sub(r"[\r\n]", "", policy)) for policy in policies]
    if not cleaned:
        return Policy()
    for policy in cleaned:
        if len(policy) < SHORTEST_POLICY:
            raise CspInvalid(f"policy {policy!r} is too short")
    merged: dict[str, list[_Source]] = {}
    duplicates: set[str] = set()
    for index, policy in enumerate(cleaned):
        seen: set[str] = set()
        for entry in policy.split(";"):
            name, *raw_sources = _JS_WHITESPACE.split(js_trim(entry))
            if not name:
                continue
            directive = name.lower()
            if directive in seen:
                if directive not in ALLOWED_DUPLICATES:
                    raise CspInvalid(f"{directive} repeated in policy {index}")
                duplicates.add(directive)
            seen.add(directive)
            keep = index == 0
            sources = [_Source(raw.lower(), index, keep) for raw in raw_sources]
            if not sources and directive.endswith("-src"):
                sources = [_Source("'none'", index, keep)]
            if index:
                sources = [*merged.get(directive, []), *sources]
            sources.sort(key=lambda source: _collation_key(source.text))
            for before, source in zip(sources, sources[1:], strict=False):
                if source.policy == before.policy and source.text.startswith(
                    before.text
                ):
                    source.keep = False
                if source.policy != before.policy and _path_covers(
                    before.text, source.text
                ):
                    source.keep = True
            merged[directive] = [source for source in sources if source.keep]
            # Once there is a second policy, a first-policy source must be
            # matched again to survive.
            if index == 0 and len(cleaned) > 1:
                for source in merged[directive]:
                    source.keep = False
    directives = {
        directive: {source.text for source in sources} or {"'none'"}
        for directive, sources in merged.items()
    }
    return Policy(directives, duplicates)


def parse_meta(policies: Sequence[str]) -> Policy:
    """Parse `<meta>` policies, dropping the directives only a header may carry."""
    parsed = parse(policies)
    for directive in DISALLOWED_IN_META:
        parsed.directives.pop(directive, None)
    return parsed


def split_policies(values: Sequence[str]) -> list[str]:
    """Header values to policies: a comma always separates two policies."""
    return [js_trim(part) for value in values for part in value.split(",")]


def _has_nonce_or_hash(sources: set[str]) -> bool:
    return any(source.startswith(NONCES_AND_HASHES) for source in sources)


def _first(directives: dict[str, set[str]], *names: str, default: set[str]) -> set[str]:
    for name in names:
        if name in directives:
            return directives[name]
    return default


def _insecure(sources: Sequence[str]) -> bool:
    return any(source.startswith(("http:", "ftp:")) for source in sources)


def analyse(
    header_values: Sequence[str],
    meta_values: Sequence[str],
    *,
    https: bool,
    report_only: bool,
) -> CspAnalysis:
    """The Observatory's CSP result for a page's headers and `<meta>` policies."""
    header_policies = split_policies(header_values)
    meta_policies = split_policies(meta_values)
    try:
        csp = parse([*header_policies, *meta_policies])
    except CspInvalid:
        return CspAnalysis("csp-header-invalid", None)
    try:
        header_only = parse(header_policies)
    except CspInvalid:
        header_only = Policy()
    try:
        meta_only = parse_meta(meta_policies)
    except CspInvalid:
        meta_only = Policy()
    if header_only.size + meta_only.size == 0:
        if report_only:
            return CspAnalysis("csp-not-implemented-but-reporting-enabled", None)
        return CspAnalysis("csp-not-implemented", None)

    directives = csp.directives
    # These may be the very sets stored under default-src: the Observatory
    # edits them in place, and later checks see the edits.
    objects = _first(directives, "object-src", "default-src", default={"*"})
    scripts = _first(directives, "script-src", "default-src", default={"*"})
    styles = _first(directives, "style-src", "default-src", default={"*"})
    for sources in (scripts, styles):
        if _has_nonce_or_hash(sources):
            sources.discard("'unsafe-inline'")
    result = None
    if _has_nonce_or_hash(scripts) and "'strict-dynamic'" in scripts:
        for source in list(scripts):
            if source.startswith(tuple(BROAD)) or source in (
                "'self'",
                "'unsafe-inline'",
            ):
                scripts.discard(source)
    elif "'strict-dynamic'" in scripts:
        result = "csp-header-invalid"

    active = [
        source
        for directive, sources in directives.items()
        if directive not in (*PASSIVE, "script-src")
        for source in sources
    ] + list(scripts)
    passive = [
        source
        for directive in PASSIVE
        for source in _first(directives, directive, "default-src", default=set())
    ]
    checks = (
        (
            "csp-implemented-with-unsafe-inline",
            bool(scripts & BROAD_OR_INLINE) or bool(objects & BROAD),
        ),
        ("csp-implemented-with-insecure-scheme", https and _insecure(active)),
        ("csp-implemented-with-unsafe-eval", "'unsafe-eval'" in scripts | styles),
        (
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            https and _insecure(passive),
        ),
        (
            "csp-implemented-with-unsafe-inline-in-style-src-only",
            bool(styles & BROAD_OR_INLINE),
        ),
        (
            "csp-implemented-with-no-unsafe-default-src-none",
            directives.get("default-src") == {"'none'"},
        ),
        ("csp-implemented-with-no-unsafe", True),
    )
    if result is None:
        result = next(name for name, failed in checks if failed)
    if result in PASSING and csp.duplicates:
        result = "csp-implemented-but-duplicate-directives"
    return CspAnalysis(result, directives)
