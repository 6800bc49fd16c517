"""The k8s probe kind: rollout health and kube-score-style checks of deployments."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import urlencode

from apps.probes.kinds import k8sconfig
from apps.probes.kinds.base import ProbeContext, probe_kind
from apps.probes.kinds.fetch import BODY_CAP, USER_AGENT
from apps.probes.kinds.options import Options
from apps.probes.kinds.result import ProbeError, ProbeFailure, Result

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_CRASH_REASONS = {"CrashLoopBackOff", "Error", "OOMKilled"}
STORED_OPTIONS = {
    "api_server",
    "ca_data",
    "token",
    "client_cert_data",
    "client_key_data",
    "kubeconfig_data",
    "context",
}
CHECK_OPTIONS = {"min_replicas", "expect_hpa"}


def _prepare(local_credentials: bool) -> None:
    """Import the Kubernetes client before the deadline starts (see base.py)."""
    import kubernetes.client.configuration
    import kubernetes.client.rest  # noqa: F401

    if local_credentials:
        import kubernetes.config  # noqa: F401


@probe_kind(STORED_OPTIONS | CHECK_OPTIONS | {"kubeconfig"}, prepare=_prepare)
def run(target: str, options: Options, context: ProbeContext) -> Result:
    """Check the deployments of `namespace` (or one, `namespace/deployment`).

    Fail: ready replicas below desired, a rollout not complete (observed
    generation behind, updated or available replicas short, progress deadline
    exceeded), a container in a crash loop, or no autoscaler when
    `expect_hpa=true`. Warn (as kube-score advises): a container without
    resource requests and limits or without liveness and readiness probes,
    liveness and readiness probes that are identical, fewer than
    `min_replicas` (2) replicas. Credentials come from `api_server` with
    `ca_data` and `token` or `client_cert_data`/`client_key_data`, or from an
    inline `kubeconfig_data`; only the command line may use `kubeconfig` (a
    path) or the engineer's default kubeconfig or in-cluster credentials.
    """
    namespace, _, deployment = target.partition("/")
    if not _NAME.match(namespace) or (deployment and not _SUBDOMAIN.match(deployment)):
        raise ProbeError("target must be a namespace or namespace/deployment")
    min_replicas = options.integer("min_replicas", 2, minimum=0, maximum=1000)
    expect_hpa = options.boolean("expect_hpa", False)
    with _configuration(options, context) as configuration:
        items, pods, hpas = _fetch(configuration, namespace, deployment, context)
    if deployment and not items:
        raise ProbeFailure(f"deployment {deployment} not found in {namespace}")
    if not items:
        raise ProbeFailure(f"no deployments in namespace {namespace}")
    reports = [
        check_deployment(item, pods, hpas, min_replicas, expect_hpa) for item in items
    ]
    observed = {"namespace": namespace, "deployments": reports}
    failing = [r for r in reports if r["problems"]]
    warning = [r for r in reports if r["warnings"] and not r["problems"]]
    if failing:
        text = "; ".join(f"{r['name']}: {', '.join(r['problems'])}" for r in failing)
        return Result("fail", text, observed)
    ready = ", ".join(f"{r['name']} {r['ready']}/{r['desired']} ready" for r in reports)
    if warning:
        text = "; ".join(f"{r['name']}: {', '.join(r['warnings'])}" for r in warning)
        return Result("warn", f"{ready}; {text}", observed)
    return Result("pass", ready, observed)


@contextlib.contextmanager
def _configuration(options: Options, context: ProbeContext) -> Any:
    fields = {key: options.string(key) for key in STORED_OPTIONS}
    for key in ("token", "client_key_data", "kubeconfig_data"):
        context.secret(fields[key])
    kubeconfig = options.string("kubeconfig")
    given = [key for key in STORED_OPTIONS - {"context"} if fields[key]]
    if kubeconfig and not context.local_credentials:
        raise ProbeError("option kubeconfig (a file path) is accepted only by the CLI")
    if fields["kubeconfig_data"]:
        access = k8sconfig.access_from_kubeconfig(
            fields["kubeconfig_data"], fields["context"]
        )
    elif given:
        access = k8sconfig.access_from_fields(fields)
    elif context.local_credentials:
        with k8sconfig.local_configuration(
            kubeconfig, fields["context"], context
        ) as configuration:
            yield configuration
        return
    else:
        raise ProbeError("give api_server with ca_data and a token or client cert")
    with k8sconfig.client_configuration(access, context) as configuration:
        yield configuration


def _fetch(
    configuration: Any, namespace: str, deployment: str, context: ProbeContext
) -> tuple[list[dict], list[dict], list[dict]]:
    """Read deployments, their pods and the namespace's autoscalers as plain JSON.

    The client's configuration and REST layer (TLS, auth, timeouts) do the
    requests; the generated API classes are skipped because importing them
    builds a thousand pydantic models (about two seconds per process), and
    the checks read the wire JSON directly.
    """
    from kubernetes.client import rest

    client = rest.RESTClientObject(configuration)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    auth = configuration.auth_settings().get("BearerToken")
    if auth and auth.get("value"):
        headers[auth["key"]] = auth["value"]
    base = f"{configuration.host}/%s/namespaces/{namespace}/%s"
    selector = f"?{urlencode({'fieldSelector': f'metadata.name={deployment}'})}"
    try:
        items = _get(
            client,
            base % ("apis/apps/v1", "deployments") + (selector if deployment else ""),
            headers,
            context,
        )
        pods = _get(client, base % ("api/v1", "pods"), headers, context)
        hpas = _get(
            client,
            base % ("apis/autoscaling/v2", "horizontalpodautoscalers"),
            headers,
            context,
        )
    finally:
        with contextlib.suppress(Exception):
            client.pool_manager.clear()
    return items, pods, hpas


def _get(client: Any, url: str, headers: dict, context: ProbeContext) -> list[dict]:
    """One GET bounded by the deadline; returns the list's `items`."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    deadline = context.deadline
    remaining = deadline.remaining()
    try:
        response = client.request(
            "GET", url, headers=dict(headers), _request_timeout=(remaining, remaining)
        )
        body = response.response.read(BODY_CAP + 1)
        response.response.release_conn()
    except ApiException as error:
        # The REST layer reports TLS failures this way, with status 0.
        reason = " ".join(str(error.reason).split())
        raise ProbeFailure(f"cannot reach the Kubernetes API: {reason}") from None
    except HTTPError as error:
        if deadline.expired():
            raise deadline.exceeded("talking to the Kubernetes API") from None
        cause = getattr(error, "reason", None) or error
        raise ProbeFailure(f"cannot reach the Kubernetes API: {cause}") from None
    if len(body) > BODY_CAP:
        raise ProbeFailure("Kubernetes API answer is over 1 MiB")
    if response.status >= 400:
        raise ProbeFailure(
            f"Kubernetes API answered {response.status} {response.reason}"
        )
    try:
        return list(json.loads(body).get("items") or [])
    except (ValueError, AttributeError):
        raise ProbeFailure("Kubernetes API answer is not a JSON list") from None


def check_deployment(
    item: dict,
    pods: list[dict],
    hpas: list[dict],
    min_replicas: int,
    expect_hpa: bool,
) -> dict[str, Any]:
    """Judge one deployment (Kubernetes JSON) and its pods; return its report."""
    metadata, spec = item.get("metadata", {}), item.get("spec", {})
    status = item.get("status", {})
    name = metadata.get("name", "?")
    desired = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    updated = status.get("updatedReplicas", 0)
    available = status.get("availableReplicas", 0)
    problems, warnings = [], []
    if ready < desired:
        problems.append(f"{ready}/{desired} replicas ready")
    if status.get("observedGeneration", 0) < metadata.get("generation", 0):
        problems.append("rollout not observed yet (generation behind)")
    elif updated < desired or available < desired:
        problems.append(f"rollout incomplete ({updated}/{desired} updated)")
    for condition in status.get("conditions") or []:
        if condition.get("reason") == "ProgressDeadlineExceeded":
            problems.append("rollout stuck (progress deadline exceeded)")
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    mine = [pod for pod in pods if _matches(pod, selector)] if selector else []
    for pod in mine:
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in _CRASH_REASONS:
                problems.append(
                    f"container {container.get('name')} in pod "
                    f"{pod['metadata'].get('name')} is in {waiting['reason']} "
                    f"({container.get('restartCount', 0)} restarts)"
                )
    has_hpa = any(
        (hpa.get("spec") or {}).get("scaleTargetRef", {}).get("kind") == "Deployment"
        and hpa["spec"]["scaleTargetRef"].get("name") == name
        for hpa in hpas
    )
    if expect_hpa and not has_hpa:
        problems.append("no HorizontalPodAutoscaler targets it")
    if desired < min_replicas:
        warnings.append(f"{desired} replica(s), fewer than {min_replicas}")
    template = (spec.get("template") or {}).get("spec") or {}
    for container in template.get("containers") or []:
        warnings += _container_warnings(container)
    return {
        "name": name,
        "desired": desired,
        "ready": ready,
        "updated": updated,
        "available": available,
        "pods": len(mine),
        "autoscaler": has_hpa,
        "problems": problems,
        "warnings": warnings,
    }


def _container_warnings(container: dict) -> list[str]:
    name = container.get("name", "?")
    warnings = []
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        have = resources.get(kind) or {}
        missing = [res for res in ("cpu", "memory") if res not in have]
        if missing:
            warnings.append(f"container {name} has no {kind} for {', '.join(missing)}")
    liveness = container.get("livenessProbe")
    readiness = container.get("readinessProbe")
    for label, probe in (("liveness", liveness), ("readiness", readiness)):
        if not probe:
            warnings.append(f"container {name} has no {label} probe")
    if liveness and readiness and liveness == readiness:
        warnings.append(f"container {name} has identical liveness and readiness probes")
    return warnings


def _matches(pod: dict, selector: dict[str, str]) -> bool:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in selector.items())
