"""Kubernetes client configurations the k8s probe may use, built from vetted fields.

A stored configuration supplies only an API server URL, CA data, and a bearer
token or client certificate data, either as options or as an inline
kubeconfig. Anything that would run a command or read a file on the worker is
refused: `exec` and `auth-provider` users, `tokenFile`, every file path,
`proxy-url` (it would bypass the pinned address) and
`insecure-skip-tls-verify`. Only the command line, run by an engineer on their
own machine, may load a kubeconfig file or in-cluster credentials.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from apps.probes.kinds import net
from apps.probes.kinds.base import ProbeContext
from apps.probes.kinds.result import ProbeError

_CLUSTER_KEYS = {"server", "certificate-authority-data", "extensions"}
_USER_KEYS = {"token", "client-certificate-data", "client-key-data", "extensions"}
_REFUSED_WHY = {
    "exec": "it would run a command on the worker",
    "auth-provider": "it would run a credential plugin",
    "tokenFile": "it reads a file",
    "token-file": "it reads a file",
    "certificate-authority": "it is a file path",
    "client-certificate": "it is a file path",
    "client-key": "it is a file path",
    "proxy-url": "it would bypass the pinned address",
    "insecure-skip-tls-verify": "it turns off certificate checks",
}


@dataclass(frozen=True)
class ClusterAccess:
    """Vetted connection details for one API server."""

    server: str
    ca_pem: str | None = None
    token: str | None = None
    client_cert_pem: str | None = None
    client_key_pem: str | None = None


def decode_pem(value: str, what: str) -> str:
    """Accept PEM text or base64-encoded PEM (as kubeconfig *-data fields hold)."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return value + "\n"
    try:
        text = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ProbeError(f"{what} is neither PEM nor base64-encoded PEM") from None
    if "-----BEGIN" not in text:
        raise ProbeError(f"{what} does not contain a PEM block")
    return text


def access_from_fields(fields: Mapping[str, str | None]) -> ClusterAccess:
    """Build access from the separate options api_server, ca_data, token, ..."""
    server = fields.get("api_server")
    if not server:
        raise ProbeError("option api_server is required")
    cert, key = fields.get("client_cert_data"), fields.get("client_key_data")
    if bool(cert) != bool(key):
        raise ProbeError("client_cert_data and client_key_data go together")
    ca = fields.get("ca_data")
    return ClusterAccess(
        server=server,
        ca_pem=decode_pem(ca, "ca_data") if ca else None,
        token=fields.get("token"),
        client_cert_pem=decode_pem(cert, "client_cert_data") if cert else None,
        client_key_pem=decode_pem(key, "client_key_data") if key else None,
    )


def access_from_kubeconfig(text: str, context_name: str | None) -> ClusterAccess:
    """Read the vetted fields of an inline kubeconfig, refusing everything unsafe."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProbeError(f"kubeconfig is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ProbeError("kubeconfig must be a mapping")
    name = context_name or document.get("current-context")
    context = _named(document, "contexts", name, "context")
    cluster = _named(document, "clusters", context.get("cluster"), "cluster")
    user = _named(document, "users", context.get("user"), "user")
    _refuse_unsafe(cluster, _CLUSTER_KEYS, "cluster")
    _refuse_unsafe(user, _USER_KEYS, "user")
    return access_from_fields(
        {
            "api_server": cluster.get("server"),
            "ca_data": cluster.get("certificate-authority-data"),
            "token": user.get("token"),
            "client_cert_data": user.get("client-certificate-data"),
            "client_key_data": user.get("client-key-data"),
        }
    )


def _named(document: dict, section: str, name: Any, key: str) -> dict:
    for entry in document.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            value = entry.get(key)
            if isinstance(value, dict):
                return value
    raise ProbeError(f"kubeconfig has no {key} named {name!r}")


def _refuse_unsafe(section: dict, allowed: set[str], what: str) -> None:
    for key in section:
        if key in _REFUSED_WHY:
            raise ProbeError(
                f"kubeconfig {what} field {key} is refused: {_REFUSED_WHY[key]}"
            )
        if key not in allowed:
            raise ProbeError(f"kubeconfig {what} field {key} is not supported")


@contextlib.contextmanager
def client_configuration(access: ClusterAccess, context: ProbeContext) -> Iterator[Any]:
    """A kubernetes Configuration pinned to the vetted address of the API server.

    The URL's host is replaced by the vetted IP and the name moves to
    `tls_server_name`, so certificate checks still use the name. Client
    certificates go to a private temporary directory for the lifetime of the
    block, because the client only loads them from files.
    """
    from kubernetes.client.configuration import Configuration

    config = Configuration()
    pin(config, access.server, context)
    if access.ca_pem:
        config.ca_cert_data = access.ca_pem
    if access.token:
        context.secret(access.token)
        config.api_key = {"authorization": f"Bearer {access.token}"}
    directory = None
    try:
        if access.client_cert_pem and access.client_key_pem:
            directory = tempfile.mkdtemp(prefix="shipshape-k8s-")
            config.cert_file = _write(directory, "client.crt", access.client_cert_pem)
            config.key_file = _write(directory, "client.key", access.client_key_pem)
        yield config
    finally:
        if directory:
            shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def local_configuration(
    kubeconfig: str | None, context_name: str | None, context: ProbeContext
) -> Iterator[Any]:
    """The engineer's own kubeconfig (or in-cluster credentials), pinned likewise.

    Only for the command line. A proxy-url is still refused, because traffic
    through a proxy would not go to the vetted address.
    """
    from kubernetes import client
    from kubernetes import config as kube_config

    configuration = client.Configuration()
    try:
        if kubeconfig is None and "KUBERNETES_SERVICE_HOST" in os.environ:
            kube_config.load_incluster_config(client_configuration=configuration)
        else:
            kube_config.load_kube_config(
                config_file=kubeconfig,
                context=context_name,
                client_configuration=configuration,
                persist_config=False,
            )
    except (kube_config.ConfigException, OSError) as error:
        raise ProbeError(f"cannot load Kubernetes credentials: {error}") from None
    if configuration.proxy:
        raise ProbeError(
            "kubeconfig proxy-url is refused: it bypasses the pinned address"
        )
    # The loader's refresh hook copies the kubeconfig's host back onto the
    # configuration before every request, which would undo the pinning. The
    # credentials were loaded a moment ago, so a probe does not need it.
    configuration.refresh_api_key_hook = None
    pin(configuration, configuration.host, context)
    yield configuration


def pin(config: Any, server: str, context: ProbeContext) -> None:
    """Point a Configuration at the vetted IP of `server`, keeping the TLS name."""
    parsed = net.parse_url(server, ("https",))
    vetted = net.vet(parsed.host, parsed.port, context.allowed, context.deadline)
    config.host = f"https://{parsed.netloc(vetted.address)}{parsed.path.rstrip('/')}"
    if not parsed.host_is_ip:
        config.tls_server_name = parsed.host
    # Setting the proxy explicitly stops the client reading HTTPS_PROXY from
    # the environment, which would also bypass the pinned address.
    config.proxy = None
    config.verify_ssl = True
    config.retries = 0


def _write(directory: str, name: str, text: str) -> str:
    path = os.path.join(directory, name)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return path
