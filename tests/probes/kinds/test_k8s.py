"""The k8s kind through the real kubernetes client, against a loopback API server.

No cluster runs here. The peer is a loopback HTTPS server (trustme certificate
for kube.test) that answers the real Kubernetes API paths the probe reads
(/apis/apps/v1/namespaces/NS/deployments, /api/v1/namespaces/NS/pods,
/apis/autoscaling/v2/namespaces/NS/horizontalpodautoscalers) with real-shaped
JSON: a healthy namespace, a stuck rollout, a crash-looping pod, and
containers without limits or probes. See tests/probes/kinds/k8s_api.py.
"""

from __future__ import annotations

import base64
import glob
import os
import tempfile
from collections.abc import Iterator

import pytest
import trustme
import yaml

from tests.probes.kinds.conftest import _server_context, probe
from tests.probes.kinds.k8s_api import ROUTES, TOKEN
from tests.probes.kinds.servers import LoopbackHTTPServer


@pytest.fixture(scope="session")
def api_server(ca: trustme.CA) -> Iterator[LoopbackHTTPServer]:
    cert = ca.issue_cert("kube.test")
    server = LoopbackHTTPServer(ROUTES, _server_context(cert)).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def cluster(api_server, ca, resolver) -> dict[str, str]:
    """The vetted fields a stored configuration would hold."""
    resolver.names["kube.test"] = ["127.0.0.1"]
    return {
        "api_server": f"https://kube.test:{api_server.port}",
        "ca_data": base64.b64encode(ca.cert_pem.bytes()).decode(),
        "token": TOKEN,
    }


def _kubeconfig(
    fields: dict[str, str], cluster: dict | None = None, user: dict | None = None
) -> str:
    cluster_entry = {
        "server": fields["api_server"],
        "certificate-authority-data": fields["ca_data"],
        **(cluster or {}),
    }
    user_entry = {"token": fields["token"], **(user or {})}
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "prod", "cluster": cluster_entry}],
            "users": [{"name": "probe", "user": user_entry}],
            "contexts": [
                {"name": "prod", "context": {"cluster": "prod", "user": "probe"}}
            ],
            "current-context": "prod",
        }
    )


def test_healthy_namespace_passes(cluster) -> None:
    result = probe("k8s", "shop", **cluster)

    assert result.status == "pass"
    assert result.summary == "web 3/3 ready, worker 3/3 ready"
    web = result.observed["deployments"][0]
    assert web["autoscaler"] is True
    assert web["pods"] == 1
    assert web["problems"] == [] and web["warnings"] == []


def test_one_deployment_by_name(cluster) -> None:
    result = probe("k8s", "shop/worker", **cluster)

    assert result.status == "pass"
    assert [d["name"] for d in result.observed["deployments"]] == ["worker"]


def test_missing_deployment_fails(cluster) -> None:
    result = probe("k8s", "shop/checkout", **cluster)

    assert result.status == "fail"
    assert result.summary == "deployment checkout not found in shop"


def test_stuck_rollout_fails(cluster) -> None:
    result = probe("k8s", "rollout", **cluster)

    assert result.status == "fail"
    assert result.summary == (
        "api: rollout incomplete (1/3 updated), "
        "rollout stuck (progress deadline exceeded)"
    )


def test_crash_looping_pod_fails(cluster) -> None:
    result = probe("k8s", "crashy", **cluster)

    assert result.status == "fail"
    problems = result.observed["deployments"][0]["problems"]
    assert problems == [
        "1/2 replicas ready",
        "rollout incomplete (2/2 updated)",
        "container billing in pod billing-7d9c8b6f5-bad01 is in CrashLoopBackOff "
        "(14 restarts)",
    ]


def test_missing_limits_probes_and_replicas_warn(cluster) -> None:
    result = probe("k8s", "bare", **cluster)

    assert result.status == "warn"
    assert result.observed["deployments"][0]["warnings"] == [
        "1 replica(s), fewer than 2",
        "container cron has no requests for cpu, memory",
        "container cron has no limits for cpu, memory",
        "container cron has no liveness probe",
        "container cron has no readiness probe",
        "container sidecar has identical liveness and readiness probes",
    ]


def test_missing_autoscaler_fails_when_one_is_expected(cluster) -> None:
    result = probe("k8s", "bare", expect_hpa="true", min_replicas="1", **cluster)

    assert result.status == "fail"
    assert result.summary == "cron: no HorizontalPodAutoscaler targets it"


def test_empty_namespace_fails(cluster) -> None:
    result = probe("k8s", "empty", **cluster)

    assert result.status == "fail"
    assert result.summary == "no deployments in namespace empty"


def test_wrong_token_fails(cluster) -> None:
    result = probe("k8s", "shop", **{**cluster, "token": "not-the-token"})

    assert result.status == "fail"
    assert result.summary == "Kubernetes API answered 401 Unauthorized"
    assert "not-the-token" not in str(result)


def test_untrusted_api_certificate_fails(cluster) -> None:
    other_ca = base64.b64encode(trustme.CA().cert_pem.bytes()).decode()

    result = probe("k8s", "shop", **{**cluster, "ca_data": other_ca})

    assert result.status == "fail"
    assert result.summary.startswith("cannot reach the Kubernetes API")
    assert "CERTIFICATE_VERIFY_FAILED" in result.summary


def test_inline_kubeconfig_with_vetted_fields_passes(cluster) -> None:
    result = probe("k8s", "shop", kubeconfig_data=_kubeconfig(cluster))

    assert result.status == "pass"


def test_client_certificate_data_is_used_from_private_files(cluster, ca) -> None:
    client = ca.issue_cert("probe-client")
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "shipshape-k8s-*")))

    result = probe(
        "k8s",
        "shop",
        api_server=cluster["api_server"],
        ca_data=cluster["ca_data"],
        client_cert_data=client.cert_chain_pems[0].bytes().decode(),
        client_key_data=base64.b64encode(client.private_key_pem.bytes()).decode(),
    )

    # The fake server does not ask for a client certificate, so the token is
    # what it misses; the point is that the files were written and removed.
    assert result.summary == "Kubernetes API answered 401 Unauthorized"
    after = set(glob.glob(os.path.join(tempfile.gettempdir(), "shipshape-k8s-*")))
    assert after == before


@pytest.mark.parametrize(
    ("section", "fields", "message"),
    [
        (
            "user",
            {"exec": {"command": "aws", "args": ["eks", "get-token"]}},
            "exec is refused",
        ),
        ("user", {"auth-provider": {"name": "gcp"}}, "auth-provider is refused"),
        ("user", {"tokenFile": "/var/run/secrets/token"}, "tokenFile is refused"),
        (
            "user",
            {"client-certificate": "/root/.kube/client.crt"},
            "client-certificate is refused",
        ),
        ("user", {"client-key": "/root/.kube/client.key"}, "client-key is refused"),
        ("user", {"username": "admin", "password": "pw12"}, "is not supported"),
        (
            "cluster",
            {"certificate-authority": "/etc/kubernetes/ca.crt"},
            "certificate-authority is refused",
        ),
        ("cluster", {"proxy-url": "http://10.0.0.1:3128"}, "proxy-url is refused"),
        (
            "cluster",
            {"insecure-skip-tls-verify": True},
            "insecure-skip-tls-verify is refused",
        ),
    ],
)
def test_unsafe_kubeconfig_fields_are_refused(
    cluster, section: str, fields: dict, message: str, connections
) -> None:
    config = _kubeconfig(cluster, **{section: fields})

    result = probe("k8s", "shop", kubeconfig_data=config)

    assert result.status == "error"
    assert message in result.summary
    assert connections == []


def test_a_kubeconfig_path_is_refused_outside_the_command_line(cluster) -> None:
    result = probe("k8s", "shop", kubeconfig="/root/.kube/config")

    assert result.status == "error"
    assert (
        result.summary == "option kubeconfig (a file path) is accepted only by the CLI"
    )


def test_the_command_line_may_use_a_kubeconfig_file(cluster, tmp_path) -> None:
    path = tmp_path / "config"
    path.write_text(_kubeconfig(cluster))

    result = probe("k8s", "shop", kubeconfig=str(path), local_credentials=True)

    assert result.status == "pass"


def test_a_local_kubeconfig_with_a_proxy_is_still_refused(cluster, tmp_path) -> None:
    path = tmp_path / "config"
    path.write_text(_kubeconfig(cluster, cluster={"proxy-url": "http://10.1.1.1:3128"}))

    result = probe("k8s", "shop", kubeconfig=str(path), local_credentials=True)

    assert result.status == "error"
    assert "proxy-url is refused" in result.summary


def test_a_blocked_api_server_is_never_contacted(cluster, connections) -> None:
    result = probe("k8s", "shop", **{**cluster, "api_server": "https://10.96.0.1:443"})

    assert result.status == "fail"
    assert result.summary == "blocked: 10.96.0.1 is private (RFC 1918)"
    assert connections == []


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("Shop", {}, "target must be a namespace or namespace/deployment"),
        ("shop/web/extra", {}, "target must be a namespace or namespace/deployment"),
        ("shop", {"api_server": "http://kube.test"}, "scheme http: is not accepted"),
        (
            "shop",
            {"api_server": "https://kube.test", "ca_data": "bm90IHBlbQ=="},
            "ca_data does not contain a PEM block",
        ),
        ("shop", {}, "give api_server with ca_data and a token or client cert"),
    ],
)
def test_bad_targets_and_options_are_errors(
    target: str, options: dict, message: str
) -> None:
    result = probe("k8s", target, **options)

    assert result.status == "error"
    assert message in result.summary
