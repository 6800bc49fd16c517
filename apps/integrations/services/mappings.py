"""GitHub and GitLab mappings: which repository or project environments wait on
which service environments; leads add and remove them, audited."""

import re
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment, Service
from apps.core import crypto
from apps.integrations.models import GitHubMapping, GitLabMapping

REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,39}/[A-Za-z0-9_.-]{1,100}$")


@transaction.atomic
def github_mapping_create(
    *,
    repository: str,
    environment_name: str,
    service: Service,
    environment: Environment,
    by: User,
    installation_id: int | None = None,
) -> GitHubMapping:
    """Map a repository's GitHub environment to a service's environment; leads.

    Refuses a repository name that is not owner/name, an environment of another
    service, and a repository environment mapped already.
    """
    permissions.require(by, "manage_catalog", service.team)
    repository = (repository or "").strip()
    environment_name = (environment_name or "").strip()
    errors = {}
    if not REPOSITORY.match(repository):
        errors["repository"] = "Give the repository as owner/name, e.g. acme/shop."
    if not environment_name or len(environment_name) > 255:
        errors["environment_name"] = "Name the GitHub environment, e.g. production."
    if environment.service_id != service.pk:
        errors["environment"] = (
            f"{environment.name} is not an environment of {service}."
        )
    if errors:
        raise ValidationError(errors)
    taken = GitHubMapping.objects.filter(
        repository__iexact=repository, environment_name=environment_name
    )
    if taken.exists():
        raise ValidationError(
            {"environment_name": f"{repository} {environment_name} is mapped already."}
        )
    try:
        with transaction.atomic():
            mapping = GitHubMapping.objects.create(
                team=service.team,
                repository=repository,
                environment_name=environment_name,
                service=service,
                environment=environment,
                installation_id=installation_id,
                created_by=by,
            )
    except IntegrityError:
        raise ValidationError(
            {"environment_name": f"{repository} {environment_name} is mapped already."}
        ) from None
    audit.record(
        actor=by,
        action="github_mapping.created",
        target=mapping,
        team_id=mapping.team_id,
        after=_mapping_facts(mapping),
    )
    return mapping


def _mapping_facts(mapping: GitHubMapping) -> dict[str, Any]:
    return {
        "repository": mapping.repository,
        "environment_name": mapping.environment_name,
        "service": mapping.service.name,
        "environment": mapping.environment.name,
        "installation_id": mapping.installation_id,
    }


@transaction.atomic
def github_mapping_delete(*, mapping: GitHubMapping, by: User) -> None:
    """Remove a mapping; leads. Its gate requests stay, answered as before."""
    permissions.require(by, "manage_catalog", mapping.team)
    audit.record(
        actor=by,
        action="github_mapping.deleted",
        target=mapping,
        team_id=mapping.team_id,
        before=_mapping_facts(mapping),
    )
    mapping.delete()


PROJECT_PATH = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){1,20}$")
TOKEN_LABEL = "gitlab-access-token"  # noqa: S105 (a key label, not a secret)


def gitlab_token_encrypt(token: str) -> str:
    return crypto.encrypt(TOKEN_LABEL, token) if token else ""


def gitlab_token_decrypt(mapping: GitLabMapping) -> str:
    """The plain access token, for a call to GitLab only; never logged or shown.
    Empty when none is stored or the key changed since (enter it again)."""
    if not mapping.access_token_encrypted:
        return ""
    try:
        return crypto.decrypt(TOKEN_LABEL, mapping.access_token_encrypted)
    except crypto.Undecryptable:
        return ""


def _token_error(token: str) -> str | None:
    if token and (len(token) > 255 or not token.isprintable() or " " in token):
        return "Paste the access token exactly as GitLab showed it."
    return None


@transaction.atomic
def gitlab_mapping_create(
    *,
    project_path: str,
    environment_name: str,
    service: Service,
    environment: Environment,
    by: User,
    access_token: str = "",
    represented_as: str = "",
) -> GitLabMapping:
    """Map a GitLab project's environment to a service's environment; leads.

    Refuses a path that is not group/project, an environment of another
    service, and a project environment mapped already. The access token (for
    the approvals bot and status checks) is stored encrypted and never shown.
    """
    permissions.require(by, "manage_catalog", service.team)
    project_path = (project_path or "").strip().strip("/")
    environment_name = (environment_name or "").strip()
    access_token = (access_token or "").strip()
    represented_as = (represented_as or "").strip()
    errors = {}
    if not PROJECT_PATH.match(project_path) or len(project_path) > 255:
        errors["project_path"] = "Give the project's full path, e.g. acme/shop."
    if not environment_name or len(environment_name) > 255:
        errors["environment_name"] = "Name the GitLab environment, e.g. production."
    if environment.service_id != service.pk:
        errors["environment"] = (
            f"{environment.name} is not an environment of {service}."
        )
    if refusal := _token_error(access_token):
        errors["access_token"] = refusal
    if len(represented_as) > 255:
        errors["represented_as"] = "Name the approval rule in at most 255 characters."
    if errors:
        raise ValidationError(errors)
    taken = {
        "environment_name": f"{project_path} {environment_name} is mapped already."
    }
    if GitLabMapping.objects.filter(
        project_path__iexact=project_path, environment_name=environment_name
    ).exists():
        raise ValidationError(taken)
    try:
        with transaction.atomic():
            mapping = GitLabMapping.objects.create(
                team=service.team,
                project_path=project_path,
                environment_name=environment_name,
                service=service,
                environment=environment,
                access_token_encrypted=gitlab_token_encrypt(access_token),
                represented_as=represented_as,
                created_by=by,
            )
    except IntegrityError:
        raise ValidationError(taken) from None
    audit.record(
        actor=by,
        action="gitlab_mapping.created",
        target=mapping,
        team_id=mapping.team_id,
        after=_gitlab_facts(mapping),
    )
    return mapping


def _gitlab_facts(mapping: GitLabMapping) -> dict[str, Any]:
    # Whether a token is stored, never the token.
    return {
        "project_path": mapping.project_path,
        "environment_name": mapping.environment_name,
        "service": mapping.service.name,
        "environment": mapping.environment.name,
        "credential": "stored" if mapping.has_token else "none",
        "represented_as": mapping.represented_as,
    }


@transaction.atomic
def gitlab_mapping_set_token(
    *, mapping: GitLabMapping, access_token: str, by: User
) -> GitLabMapping:
    """Store a new access token (empty: forget it); leads. Audited without it."""
    permissions.require(by, "manage_catalog", mapping.team)
    access_token = (access_token or "").strip()
    if refusal := _token_error(access_token):
        raise ValidationError({"access_token": refusal})
    before = _gitlab_facts(mapping)
    mapping.access_token_encrypted = gitlab_token_encrypt(access_token)
    mapping.save(update_fields=["access_token_encrypted"])
    audit.record(
        actor=by,
        action="gitlab_mapping.token_changed",
        target=mapping,
        team_id=mapping.team_id,
        before={"credential": before["credential"]},
        after={"credential": "stored" if access_token else "none"},
    )
    return mapping


@transaction.atomic
def gitlab_mapping_delete(*, mapping: GitLabMapping, by: User) -> None:
    """Remove a mapping and its token; leads."""
    permissions.require(by, "manage_catalog", mapping.team)
    audit.record(
        actor=by,
        action="gitlab_mapping.deleted",
        target=mapping,
        team_id=mapping.team_id,
        before=_gitlab_facts(mapping),
    )
    mapping.delete()
