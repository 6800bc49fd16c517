"""k8s/: every manifest validates against the Kubernetes schemas, offline, and the
app's own deployments pass Shipshape's own k8s probe rules.

kubernetes-validate ships the OpenAPI-derived JSON schemas, so validation
needs no cluster. The probe rules are `apps.probes.kinds.k8s.check_deployment`,
the function the k8s probe applies to a live cluster's deployments; here it is
given each manifest with a fully rolled-out status, so only the spec is judged.
"""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from apps.probes.kinds import k8s as k8s_kind

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.33.0"
DOCS = [
    (path.name, doc)
    for path in sorted((ROOT / "k8s").glob("*.yaml"))
    for doc in yaml.safe_load_all(path.read_text())
    if doc
]


def _of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in DOCS if doc["kind"] == kind}


def _pod_specs() -> list[tuple[str, dict]]:
    specs = []
    for _, doc in DOCS:
        if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
            specs.append((doc["metadata"]["name"], doc["spec"]["template"]["spec"]))
    return specs


@pytest.mark.parametrize(
    "doc",
    [doc for _, doc in DOCS],
    ids=[f"{name}:{doc['kind']}/{doc['metadata']['name']}" for name, doc in DOCS],
)
def test_manifest_validates_against_the_kubernetes_schema(doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_component_the_deployment_needs_is_there():
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in DOCS}

    assert {
        ("Namespace", "shipshape"),
        ("ConfigMap", "shipshape-config"),
        ("Secret", "shipshape-secrets"),
        ("StatefulSet", "postgres"),
        ("StatefulSet", "redis"),
        ("Deployment", "web"),
        ("Deployment", "worker"),
        ("Deployment", "beat"),
        ("Job", "migrate"),
        ("Service", "web"),
        ("Service", "postgres"),
        ("Service", "redis"),
        ("Ingress", "shipshape"),
        ("HorizontalPodAutoscaler", "web"),
        ("HorizontalPodAutoscaler", "worker"),
        ("PodDisruptionBudget", "web"),
        ("PodDisruptionBudget", "worker"),
        ("NetworkPolicy", "default-deny-ingress"),
    } <= kinds
    assert all(
        doc["metadata"].get("namespace") == "shipshape"
        for _, doc in DOCS
        if doc["kind"] != "Namespace"
    )


def _rolled_out(deployment: dict) -> dict:
    replicas = deployment["spec"].get("replicas", 1)
    return {
        **deployment,
        "metadata": {**deployment["metadata"], "generation": 1},
        "status": {
            "observedGeneration": 1,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": replicas,
        },
    }


@pytest.mark.parametrize(
    ("name", "min_replicas", "expect_hpa"),
    [("web", 2, True), ("worker", 2, True), ("beat", 1, False)],
)
def test_own_deployments_pass_the_k8s_probe_rules(name, min_replicas, expect_hpa):
    deployment = _of_kind("Deployment")[name]
    hpas = list(_of_kind("HorizontalPodAutoscaler").values())

    report = k8s_kind.check_deployment(
        _rolled_out(deployment), [], hpas, min_replicas, expect_hpa
    )

    assert report["problems"] == []
    assert report["warnings"] == []
    assert report["autoscaler"] is expect_hpa


def test_web_is_ready_on_ready_and_alive_on_health():
    [container] = _of_kind("Deployment")["web"]["spec"]["template"]["spec"][
        "containers"
    ]

    assert container["readinessProbe"]["httpGet"]["path"] == "/ready/"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/"


def test_worker_liveness_reads_the_heartbeat_file():
    [container] = _of_kind("Deployment")["worker"]["spec"]["template"]["spec"][
        "containers"
    ]

    assert "/tmp/shipshape-worker-heartbeat" in " ".join(
        container["livenessProbe"]["exec"]["command"]
    )


def test_beat_never_runs_twice():
    beat = _of_kind("Deployment")["beat"]["spec"]

    assert beat["replicas"] == 1
    assert beat["strategy"]["type"] == "Recreate"
    assert "beat" not in _of_kind("HorizontalPodAutoscaler")


@pytest.mark.parametrize(
    ("name", "spec"), _pod_specs(), ids=[n for n, _ in _pod_specs()]
)
def test_every_pod_is_non_root_read_only_and_limited(name, spec):
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    for container in spec["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])


def test_autoscalers_and_budgets_point_at_real_deployments():
    deployments = _of_kind("Deployment")
    for hpa in _of_kind("HorizontalPodAutoscaler").values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert hpa["spec"]["minReplicas"] >= 2
    for budget in _of_kind("PodDisruptionBudget").values():
        labels = budget["spec"]["selector"]["matchLabels"]
        assert any(
            d["spec"]["template"]["metadata"]["labels"] == labels
            for d in deployments.values()
        )


def test_ingress_serves_https_only():
    ingress = _of_kind("Ingress")["shipshape"]

    assert ingress["spec"]["tls"][0]["secretName"] == "shipshape-tls"
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= set(ingress["spec"]["tls"][0]["hosts"])


def test_the_secret_example_holds_placeholders_only():
    secret = _of_kind("Secret")["shipshape-secrets"]

    for key, value in secret["stringData"].items():
        assert value == "" or "change-me" in value, key


def test_every_configured_variable_is_documented_in_the_readme():
    readme = (ROOT / "docs" / "configuration.md").read_text()
    config = _of_kind("ConfigMap")["shipshape-config"]["data"]
    secret = _of_kind("Secret")["shipshape-secrets"]["stringData"]
    documented = {
        name
        for name in [*config, *secret]
        if f"| `{name}`" in readme or f"`{name}` /" in readme
    }

    assert set(config) | (set(secret) - {"POSTGRES_PASSWORD"}) <= documented
