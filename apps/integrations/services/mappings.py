"""GitHub mappings: which repository environments wait on which service
environments; leads add and remove them, audited."""

import re
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts import permissions
from apps.audit import services as audit
from apps.catalog.models import Environment, Service
from apps.integrations.models import GitHubMapping

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
