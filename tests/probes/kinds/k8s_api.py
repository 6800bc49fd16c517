"""A loopback stand-in for the Kubernetes API: real paths, real-shaped JSON.

No cluster runs here, so this server answers the three list endpoints the k8s
probe reads (apps/v1 deployments, v1 pods, autoscaling/v2 HPAs) for a few
namespaces, checks the bearer token, and honours `fieldSelector=metadata.name`.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.probes.kinds.servers import Handler

TOKEN = "k8s-test-token-1234"
_CREATED = "2026-10-01T09:00:00Z"


def _probe(path: str, period: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": 8000, "scheme": "HTTP"},
        "initialDelaySeconds": 5,
        "periodSeconds": period,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def _container(name: str, *, hardened: bool = True) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": f"registry.example/shop/{name}:1.4.2",
        "ports": [{"containerPort": 8000, "protocol": "TCP"}],
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if hardened:
        container["resources"] = {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        }
        container["livenessProbe"] = _probe("/healthz", 20)
        container["readinessProbe"] = _probe("/readyz", 5)
    else:
        container["resources"] = {}
    return container


def deployment(
    namespace: str,
    name: str,
    *,
    replicas: int = 3,
    ready: int | None = None,
    updated: int | None = None,
    generation: int = 4,
    observed_generation: int | None = None,
    containers: list[dict[str, Any]] | None = None,
    stuck: bool = False,
) -> dict[str, Any]:
    """A Deployment as `kubectl get deploy -o json` shows it."""
    ready = replicas if ready is None else ready
    updated = replicas if updated is None else updated
    progressing = {
        "type": "Progressing",
        "status": "False" if stuck else "True",
        "reason": "ProgressDeadlineExceeded" if stuck else "NewReplicaSetAvailable",
        "message": f'ReplicaSet "{name}-7d9c8b6f5" has timed out progressing.'
        if stuck
        else f'ReplicaSet "{name}-7d9c8b6f5" has successfully progressed.',
        "lastUpdateTime": _CREATED,
        "lastTransitionTime": _CREATED,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"5f0c{len(name):04d}-1c2d-4e5f-8a9b-{namespace[:4]:0>4}00000001",
            "resourceVersion": "918273",
            "generation": generation,
            "creationTimestamp": _CREATED,
            "labels": {"app.kubernetes.io/name": name},
            "annotations": {"deployment.kubernetes.io/revision": str(generation)},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {
                    "containers": containers or [_container(name)],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                },
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "observedGeneration": generation
            if observed_generation is None
            else observed_generation,
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ready >= replicas else "False",
                    "reason": "MinimumReplicasAvailable"
                    if ready >= replicas
                    else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability.",
                    "lastUpdateTime": _CREATED,
                    "lastTransitionTime": _CREATED,
                },
                progressing,
            ],
        },
    }


def pod(namespace: str, app: str, suffix: str, *, crashing: bool = False) -> dict:
    """A Pod of a deployment; a crashing one waits in CrashLoopBackOff."""
    state: dict[str, Any] = (
        {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 5m0s restarting failed container",
            }
        }
        if crashing
        else {"running": {"startedAt": _CREATED}}
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{app}-7d9c8b6f5-{suffix}",
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/name": app,
                "pod-template-hash": "7d9c8b6f5",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{app}-7d9c8b6f5",
                    "controller": True,
                }
            ],
        },
        "spec": {"containers": [{"name": app, "image": f"registry.example/{app}"}]},
        "status": {
            "phase": "Running",
            "podIP": "10.244.1.17",
            "containerStatuses": [
                {
                    "name": app,
                    "ready": not crashing,
                    "restartCount": 14 if crashing else 0,
                    "image": f"registry.example/{app}",
                    "imageID": f"registry.example/{app}@sha256:4b1d",
                    "started": not crashing,
                    "state": state,
                }
            ],
        },
    }


def hpa(namespace: str, target: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": target, "namespace": namespace},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": target,
            },
            "minReplicas": 3,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
        "status": {"currentReplicas": 3, "desiredReplicas": 3},
    }


def _same_probes(name: str) -> dict[str, Any]:
    container = _container(name)
    container["readinessProbe"] = copy.deepcopy(container["livenessProbe"])
    return container


CLUSTER: dict[str, dict[str, list[dict[str, Any]]]] = {
    "shop": {
        "deployments": [deployment("shop", "web"), deployment("shop", "worker")],
        "pods": [pod("shop", "web", "x2k4p"), pod("shop", "worker", "b7qzm")],
        "hpas": [hpa("shop", "web"), hpa("shop", "worker")],
    },
    "rollout": {
        "deployments": [
            deployment("rollout", "api", replicas=3, updated=1, ready=3, stuck=True)
        ],
        "pods": [pod("rollout", "api", "a1")],
        "hpas": [],
    },
    "crashy": {
        "deployments": [deployment("crashy", "billing", replicas=2, ready=1)],
        "pods": [
            pod("crashy", "billing", "ok001"),
            pod("crashy", "billing", "bad01", crashing=True),
        ],
        "hpas": [],
    },
    "bare": {
        "deployments": [
            deployment(
                "bare",
                "cron",
                replicas=1,
                containers=[
                    _container("cron", hardened=False),
                    _same_probes("sidecar"),
                ],
            )
        ],
        "pods": [pod("bare", "cron", "c1")],
        "hpas": [],
    },
    "empty": {"deployments": [], "pods": [], "hpas": []},
}

_PATHS = {
    ("apis", "apps", "v1", "deployments"): ("deployments", "DeploymentList", "apps/v1"),
    ("api", "v1", "pods"): ("pods", "PodList", "v1"),
    ("apis", "autoscaling", "v2", "horizontalpodautoscalers"): (
        "hpas",
        "HorizontalPodAutoscalerList",
        "autoscaling/v2",
    ),
}


def _status(handler: Handler, code: int, reason: str, message: str) -> None:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    handler.reply(code, json.dumps(body).encode(), content_type="application/json")


def kubernetes_api(handler: Handler) -> None:
    """Route /api/v1/... and /apis/... list calls for the fake cluster."""
    if handler.headers.get("Authorization") != f"Bearer {TOKEN}":
        _status(handler, 401, "Unauthorized", "Unauthorized")
        return
    parts = urlsplit(handler.path)
    segments = parts.path.strip("/").split("/")
    try:
        namespace_index = segments.index("namespaces")
        namespace = segments[namespace_index + 1]
        key = (*segments[:namespace_index], segments[namespace_index + 2])
    except (ValueError, IndexError):
        _status(handler, 404, "NotFound", "the server could not find the resource")
        return
    if key not in _PATHS or namespace not in CLUSTER:
        _status(handler, 404, "NotFound", f'namespaces "{namespace}" not found')
        return
    collection, kind, api_version = _PATHS[key]
    items = CLUSTER[namespace][collection]
    selector = parse_qs(parts.query).get("fieldSelector", [""])[0]
    if selector.startswith("metadata.name="):
        wanted = selector.split("=", 1)[1]
        items = [item for item in items if item["metadata"]["name"] == wanted]
    body = {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": "918300"},
        "items": items,
    }
    handler.reply(200, json.dumps(body).encode(), content_type="application/json")


ROUTES = {"/api": kubernetes_api, "/apis": kubernetes_api}
