"""Callers that act as Flagger and as Argo Rollouts do when they ask Shipshape whether
a rollout may go on: Flagger's webhook payloads and verdict rule, and an Argo
Rollouts `web` metric measurement. Helpers only; no server.

Sources:

- Flagger: fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go
  (CanaryWebhookPayload: name, namespace, phase, checksum, metadata; hook types
  confirm-rollout, confirm-promotion, rollback, ...) and pkg/controller/webhook.go
  (callWebhook: POST, Content-Type application/json, default timeout 10 s, any
  status above 202 is a failure whose body becomes the event message) and
  pkg/controller/scheduler_hooks.go (confirm-rollout is called with the
  canary's current phase, confirm-promotion with Progressing, rollback with the
  current phase; for rollback a success means "roll back"). The payload does
  not say which hook type is calling: a receiver tells them apart by URL or by
  the webhook's `metadata`, which the Canary spec sets. docs/gitbook/usage/
  webhooks.md in the same repository describes each type.
- Argo Rollouts web metric: argoproj.github.io/argo-rollouts/analysis/web/
  (GET by default, headers from the AnalysisTemplate, timeoutSeconds default
  10, JSON body, the optional `jsonPath` such as "{$.data.ok}" picks the
  `result`, then `successCondition` / `failureCondition` are evaluated; a
  non-2xx answer is an Error measurement).
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from dataclasses import dataclass
from typing import Any

import httpx

from tests.standins.loopback import client

HOOK_TYPES = ("confirm-rollout", "confirm-promotion", "rollback")
PHASES = (
    "Initializing", "Initialized", "Waiting", "Progressing", "WaitingPromotion",
    "Promoting", "Finalising", "Succeeded", "Failed", "Terminating", "Terminated",
)  # fmt: skip


def canary_payload(
    *,
    name: str = "shop",
    namespace: str = "prod",
    phase: str = "Progressing",
    metadata: dict[str, str] | None = None,
    checksum: str | None = None,
) -> dict[str, Any]:
    """A CanaryWebhookPayload, as Flagger marshals it (metadata omitted when empty)."""
    if phase not in PHASES:
        raise ValueError(f"Flagger has no phase {phase!r}")
    payload: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "phase": phase,
        "checksum": checksum
        or hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()[:10],
    }
    if metadata:
        payload["metadata"] = {key: str(value) for key, value in metadata.items()}
    return payload


def hook_payload(hook: str, **fields: Any) -> dict[str, Any]:
    """The payload for one hook type, with the phase Flagger's scheduler passes it."""
    if hook not in HOOK_TYPES:
        raise ValueError(f"not a gate hook: {hook!r}")
    fields.setdefault(
        "phase", "Progressing" if hook == "confirm-promotion" else "Waiting"
    )
    return canary_payload(**fields)


@dataclass(frozen=True)
class FlaggerAnswer:
    """What Flagger makes of an answer: `passed` is its test, status <= 202."""

    status: int
    body: str

    @property
    def passed(self) -> bool:
        return self.status <= 202


def call_flagger_webhook(
    url: str, payload: dict[str, Any], *, timeout: float = 10.0
) -> FlaggerAnswer:
    """POST the payload as Flagger's controller does and judge the answer like it."""
    response = client().post(
        url,
        content=json.dumps(payload).encode(),
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Go-http-client/1.1",
        },
        timeout=timeout,
    )
    return FlaggerAnswer(response.status_code, response.text)


@dataclass(frozen=True)
class Measurement:
    """An Argo Rollouts measurement: phase Successful, Failed, Inconclusive or Error."""

    phase: str
    value: Any
    status: int
    message: str = ""


def web_metric(
    url: str,
    *,
    success_condition: str,
    failure_condition: str | None = None,
    json_path: str | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    timeout: float = 10.0,
) -> Measurement:
    """Take one measurement as Argo Rollouts' web provider does.

    Conditions support what AnalysisTemplates for a gate use: `result` or a
    dotted path into it (result.ready), compared with ==, !=, >=, <=, >, < to
    true/false/null, a number or a quoted string, joined by && or ||.
    """
    try:
        response = client().request(method, url, headers=headers or {}, timeout=timeout)
    except httpx.HTTPError as error:
        return Measurement("Error", None, 0, str(error))
    if not 200 <= response.status_code < 300:
        return Measurement(
            "Error",
            None,
            response.status_code,
            f"received non 2xx response code: {response.status_code}",
        )
    try:
        body = response.json()
    except ValueError:
        return Measurement(
            "Error", None, response.status_code, "could not parse JSON body"
        )
    value = _json_path(body, json_path) if json_path else body
    if evaluate(success_condition, value):
        return Measurement("Successful", value, response.status_code)
    if failure_condition is None or evaluate(failure_condition, value):
        return Measurement("Failed", value, response.status_code)
    return Measurement("Inconclusive", value, response.status_code)


def _json_path(body: Any, expression: str) -> Any:
    """Kubernetes-style JSONPath of the simple form "{$.a.b[0].c}"."""
    match = re.fullmatch(r"\{\$(.*)\}", expression.strip())
    if not match:
        raise ValueError(f"unsupported jsonPath {expression!r}")
    value = body
    for key, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", match.group(1)):
        value = value[int(index)] if index else value[key]
    return value


_COMPARE = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge,
            "<=": operator.le, ">": operator.gt, "<": operator.lt}  # fmt: skip


def evaluate(condition: str, result: Any) -> bool:
    """Evaluate a small Argo condition such as "result.ready == true"."""
    if "||" in condition:
        return any(evaluate(part, result) for part in condition.split("||"))
    if "&&" in condition:
        return all(evaluate(part, result) for part in condition.split("&&"))
    match = re.fullmatch(
        r"\s*(result(?:\.[A-Za-z0-9_]+)*)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*", condition
    )
    if not match:
        raise ValueError(f"unsupported condition {condition!r}")
    value = result
    for key in match.group(1).split(".")[1:]:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    literal = match.group(3)
    expected = {"true": True, "false": False, "null": None}.get(literal)
    if expected is None and literal != "null":
        expected = literal[1:-1] if literal[:1] in "'\"" else float(literal)
    try:
        return bool(_COMPARE[match.group(2)](value, expected))
    except TypeError:
        return False
