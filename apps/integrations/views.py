"""Deploy platforms calling in (GitHub's webhook, Flagger's gate), and the
GitHub and GitLab mappings pages for leads."""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.permissions import can, may_somewhere
from apps.accounts.tokens import BearerTokenAuthentication
from apps.catalog import selectors as catalog_selectors
from apps.catalog.models import Environment
from apps.integrations import attestation, lookups, selectors, services
from apps.policy.models import VerificationWindow

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def github_webhook(request: HttpRequest) -> HttpResponse:
    """GitHub App deliveries: verified, kept once per delivery id, worked on by
    a task. A bad signature is a 401 and writes nothing."""
    if not settings.GITHUB_WEBHOOK_SECRET:
        return JsonResponse({"detail": "GitHub is not configured."}, status=503)
    body = request.body
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not services.github_signature_valid(body, signature):
        return JsonResponse(
            {"detail": "Bad or missing X-Hub-Signature-256."}, status=401
        )
    delivery_id = request.headers.get("X-GitHub-Delivery", "")
    event = request.headers.get("X-GitHub-Event", "")
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not delivery_id or not event or not isinstance(payload, dict):
        return JsonResponse({"detail": "Not a GitHub delivery."}, status=400)
    if event == "ping":
        return JsonResponse({"detail": "pong"})
    delivery, created = services.github_delivery_receive(
        delivery_id=delivery_id, event=event, payload=payload
    )
    answer = {"delivery": delivery.delivery_id, "duplicate": not created}
    return JsonResponse(answer, status=202 if created else 200)


@csrf_exempt
@require_POST
def gitlab_status_check(request: HttpRequest) -> HttpResponse:
    """A merge request's external status check: X-Gitlab-Signature verified
    (401 and nothing written otherwise), kept once per head commit, answered
    by a task (failed at once while not ready, passed later)."""
    if not settings.GITLAB_STATUS_CHECK_SECRET:
        return JsonResponse({"detail": "GitLab is not configured."}, status=503)
    body = request.body
    signature = request.headers.get("X-Gitlab-Signature", "")
    if not services.gitlab_signature_valid(body, signature):
        return JsonResponse(
            {"detail": "Bad or missing X-Gitlab-Signature."}, status=401
        )
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse({"detail": "Not a status check request."}, status=400)
    outcome, row_id = services.gitlab_status_check_receive(payload)
    return JsonResponse({"detail": outcome, "check": row_id}, status=202)


@csrf_exempt
@require_POST
def gitlab_webhook(request: HttpRequest) -> HttpResponse:
    """GitLab webhooks: X-Gitlab-Token or a Standard Webhooks signature, kept
    once per Idempotency-Key (webhook-id); 401 and nothing written otherwise."""
    if not (settings.GITLAB_WEBHOOK_TOKEN or settings.GITLAB_WEBHOOK_SIGNING_TOKEN):
        return JsonResponse({"detail": "GitLab is not configured."}, status=503)
    body = request.body
    if not services.gitlab_webhook_authentic(request.headers, body):
        return JsonResponse(
            {"detail": "Bad or missing X-Gitlab-Token or webhook-signature."},
            status=401,
        )
    delivery_id = request.headers.get("webhook-id") or request.headers.get(
        "Idempotency-Key", ""
    )
    event = request.headers.get("X-Gitlab-Event", "")
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not delivery_id or not event or not isinstance(payload, dict):
        return JsonResponse({"detail": "Not a GitLab delivery."}, status=400)
    delivery, created = services.gitlab_delivery_receive(
        delivery_id=delivery_id, event=event, payload=payload
    )
    answer = {"delivery": delivery.delivery_id, "duplicate": not created}
    return JsonResponse(answer, status=202 if created else 200)


class _MetadataToken(BearerTokenAuthentication):
    """A Shipshape API token in the Flagger webhook's `metadata.token`: Flagger
    sends no headers of its own choosing."""

    def authenticate(self, request: Request):
        metadata = (
            request.data.get("metadata") if isinstance(request.data, dict) else None
        )
        secret = metadata.get("token") if isinstance(metadata, dict) else None
        if not isinstance(secret, str) or not secret:
            return None
        return self.authenticate_secret(secret)


class FlaggerGateView(APIView):
    """POST /integrations/flagger/gate: Flagger's confirm-rollout,
    confirm-promotion and rollback webhooks.

    The Canary's webhook metadata names the release: `service`, `environment`,
    `version` (or `sha`), and `hook: rollback` for the rollback webhook. A gate
    answers 200 when the release is ready and 403 with its blockers when not
    (Flagger holds the canary on any status above 202); rollback answers 200
    when the release's verification window failed, 403 otherwise.
    """

    authentication_classes = [BearerTokenAuthentication, _MetadataToken]
    permission_classes = [IsAuthenticated]
    # Flagger's webhook, not part of /api/v1/: docs/integrations.md describes it.
    schema = None

    def post(self, request: Request) -> Response:
        metadata = (
            request.data.get("metadata") if isinstance(request.data, dict) else None
        )
        if not isinstance(metadata, dict):
            return Response(
                {"detail": "Set the metadata: service, environment, version."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        version, sha = str(metadata.get("version", "")), str(metadata.get("sha", ""))
        if (
            not metadata.get("service")
            or not metadata.get("environment")
            or not (version or sha)
        ):
            return Response(
                {"detail": "The metadata needs service, environment, version or sha."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        release = lookups.release_find_for_user(
            request.user,
            service=str(metadata["service"]),
            environment=str(metadata["environment"]),
            version=version,
            sha=sha,
        )
        if metadata.get("hook") == "rollback":
            failed = VerificationWindow.objects.filter(
                release=release, outcome=VerificationWindow.Outcome.FAILED
            ).exists()
            body = {"rollback": failed, "release": release.pk}
            return Response(body, status=200 if failed else 403)
        answer = lookups.readiness_answer(release)
        body = {
            "ready": answer["ready"],
            "score": answer["score"],
            "blockers": answer["blockers"],
            "release": release.pk,
        }
        return Response(body, status=200 if answer["ready"] else 403)


flagger_gate = FlaggerGateView.as_view()


@login_required
@require_GET
def github_mappings(request: HttpRequest) -> HttpResponse:
    """The GitHub mappings of the user's teams; leads add and remove them."""
    mappings = list(selectors.github_mapping_list_for_user(request.user))
    environments = _managed_environments(request.user)
    managed = {
        mapping.team_id
        for mapping in mappings
        if can(request.user, "manage_catalog", mapping.team)
    }
    context = {
        "mappings": mappings,
        "managed": managed,
        "environments": environments,
        "configured": bool(settings.GITHUB_APP_ID and settings.GITHUB_WEBHOOK_SECRET),
    }
    return render(request, "integrations/github_mappings.html", context)


@login_required
@require_POST
def github_mapping_create(request: HttpRequest) -> HttpResponse:
    """Add a mapping from the page (the API: POST .../integrations/github/mappings/)."""
    if not may_somewhere(request.user, "manage_catalog"):
        raise PermissionDenied("Only a team's leads map its GitHub repositories.")
    environment = _chosen_environment(request)
    if environment is None:
        messages.error(request, "Choose an environment of one of your services.")
        return redirect("integrations:github-mappings")
    try:
        services.github_mapping_create(
            repository=request.POST.get("repository", ""),
            environment_name=request.POST.get("environment_name", ""),
            service=environment.service,
            environment=environment,
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as error:
        text = " ".join(getattr(error, "messages", None) or [str(error)])
        messages.error(request, text or "Only leads map repositories.")
    else:
        messages.success(request, "Mapping added.")
    return redirect("integrations:github-mappings")


@login_required
@require_POST
def github_mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a mapping (DELETE /api/v1/integrations/github/mappings/{id}/)."""
    mapping = selectors.github_mapping_get_for_user(request.user, pk)
    services.github_mapping_delete(mapping=mapping, by=request.user)
    messages.success(request, "Mapping removed.")
    return redirect("integrations:github-mappings")


def _managed_environments(user) -> list[Environment]:
    """The environments a mapping form offers: those whose team the user leads."""
    return [
        environment
        for environment in catalog_selectors.environments_for_user(user).order_by(
            "service__name", "name"
        )
        if can(user, "manage_catalog", environment.service.team)
    ]


def _chosen_environment(request: HttpRequest) -> Environment | None:
    """The environment a mapping form posted, if it is one of the user's teams'."""
    chosen = request.POST.get("environment") or ""
    if not chosen.isdigit():
        return None
    return (
        catalog_selectors.environments_for_user(request.user).filter(pk=chosen).first()
    )


@login_required
@require_GET
def gitlab_mappings(request: HttpRequest) -> HttpResponse:
    """The GitLab mappings of the user's teams; leads add and remove them and
    store each one's access token (never shown again)."""
    mappings = list(selectors.gitlab_mapping_list_for_user(request.user))
    managed = {
        mapping.team_id
        for mapping in mappings
        if can(request.user, "manage_catalog", mapping.team)
    }
    context = {
        "mappings": mappings,
        "managed": managed,
        "environments": _managed_environments(request.user),
        "gitlab_url": settings.GITLAB_URL,
        "keyless": bool(settings.CI_OIDC_ISSUERS and settings.CI_OIDC_AUDIENCE),
    }
    return render(request, "integrations/gitlab_mappings.html", context)


def _error_text(error: Exception) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error)])


@login_required
@require_POST
def gitlab_mapping_create(request: HttpRequest) -> HttpResponse:
    """Add a mapping (the API: POST /api/v1/integrations/gitlab/mappings/)."""
    if not may_somewhere(request.user, "manage_catalog"):
        raise PermissionDenied("Only a team's leads map its GitLab projects.")
    environment = _chosen_environment(request)
    if environment is None:
        messages.error(request, "Choose an environment of one of your services.")
        return redirect("integrations:gitlab-mappings")
    try:
        services.gitlab_mapping_create(
            project_path=request.POST.get("project_path", ""),
            environment_name=request.POST.get("environment_name", ""),
            service=environment.service,
            environment=environment,
            access_token=request.POST.get("access_token", ""),
            represented_as=request.POST.get("represented_as", ""),
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error) or "Only leads map projects.")
    else:
        messages.success(request, "Mapping added.")
    return redirect("integrations:gitlab-mappings")


@login_required
@require_POST
def gitlab_mapping_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace or forget a mapping's access token
    (PUT /api/v1/integrations/gitlab/mappings/{id}/token/)."""
    mapping = selectors.gitlab_mapping_get_for_user(request.user, pk)
    try:
        services.gitlab_mapping_set_token(
            mapping=mapping,
            access_token=request.POST.get("access_token", ""),
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, "Token stored." if mapping.has_token else "Token forgotten."
        )
    return redirect("integrations:gitlab-mappings")


@login_required
@require_POST
def gitlab_mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a mapping (DELETE /api/v1/integrations/gitlab/mappings/{id}/)."""
    mapping = selectors.gitlab_mapping_get_for_user(request.user, pk)
    services.gitlab_mapping_delete(mapping=mapping, by=request.user)
    messages.success(request, "Mapping removed.")
    return redirect("integrations:gitlab-mappings")


@require_GET
def attestation_key(request: HttpRequest) -> HttpResponse:
    """The public key that verifies this instance's attestations (PEM)."""
    try:
        pem = attestation.public_key_pem()
    except ImproperlyConfigured:
        return HttpResponse(
            "Attestations are not configured.\n", status=503, content_type="text/plain"
        )
    return HttpResponse(pem, content_type="application/x-pem-file")
