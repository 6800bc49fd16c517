"""SSL contexts shared by all probes of a process: each costs about 26 ms to build."""

from __future__ import annotations

import os
import ssl
import threading
import warnings

from apps.probes.kinds.result import ProbeError

_lock = threading.Lock()
_verifying: dict[tuple[str | None, float, str], ssl.SSLContext] = {}
_chain: dict[tuple[str | None, float], ssl.SSLContext] = {}
_lenient: dict[str, ssl.SSLContext] = {}

_NO_CHECK_TIME = 0x200000

# TLS versions the tls kind tries one by one, oldest first.
VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def check_ca_file(ca_file: str | None) -> str | None:
    """Refuse a CA file that does not exist, as a bad-input error."""
    if ca_file is not None and not os.path.isfile(ca_file):
        raise ProbeError(f"CA file {ca_file!r} does not exist")
    return ca_file


def verifying_context(
    ca_file: str | None = None, purpose: str = "http"
) -> ssl.SSLContext:
    """A context that checks the chain against the system store or `ca_file`.

    Hostname checking stays on: callers pass the name as server_hostname, so the
    certificate is matched against the name even though the socket was opened to
    a vetted IP address. Contexts are cached per file and its modification time,
    so an edited CA file is picked up without a restart, and per purpose:
    httpcore sets ALPN to http/1.1 on the context it uses, which a Redis
    connection must not offer.
    """
    check_ca_file(ca_file)
    key = (ca_file, os.stat(ca_file).st_mtime if ca_file else 0.0, purpose)
    with _lock:
        context = _verifying.get(key)
        if context is None:
            try:
                context = ssl.create_default_context(cafile=ca_file)
            except (ssl.SSLError, ValueError) as error:
                raise ProbeError(
                    f"CA file {ca_file!r} is not usable: {error}"
                ) from None
            _verifying[key] = context
        return context


def chain_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A context that checks only the chain: names and dates are judged apart."""
    check_ca_file(ca_file)
    key = (ca_file, os.stat(ca_file).st_mtime if ca_file else 0.0)
    with _lock:
        context = _chain.get(key)
        if context is None:
            try:
                context = ssl.create_default_context(cafile=ca_file)
            except (ssl.SSLError, ValueError) as error:
                raise ProbeError(
                    f"CA file {ca_file!r} is not usable: {error}"
                ) from None
            context.check_hostname = False
            # Validity dates are judged separately (expired, not yet valid), so
            # the chain check ignores time, as OpenSSL's X509_V_FLAG_NO_CHECK_TIME
            # allows; Python's ssl module has no name for that flag.
            context.verify_flags |= _NO_CHECK_TIME
            _chain[key] = context
        return context


def lenient_context(version: str | None = None) -> ssl.SSLContext:
    """A context that verifies nothing, for inspecting a server's configuration.

    Without a version it offers TLS 1.0 to 1.3; with one, only that version.
    Debian's OpenSSL refuses TLS 1.0 and 1.1 at its default security level, so
    these contexts lower it to 0; whether the server accepts an old version is
    then reported honestly, not hidden by the client's own policy.
    """
    key = version or "any"
    with _lock:
        context = _lenient.get(key)
        if context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with warnings.catch_warnings():
                # Naming TLS 1.0 and 1.1 is deprecated; trying them is the point.
                warnings.simplefilter("ignore", DeprecationWarning)
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
                context.minimum_version = VERSIONS[version or "TLSv1"]
                context.maximum_version = VERSIONS[version or "TLSv1.3"]
            _lenient[key] = context
        return context
