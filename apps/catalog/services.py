"""Creating and changing services and environments: leads, each write audited."""

import re

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.audit import rows
from apps.catalog.models import Environment, Service

SERVICE_FIELDS = ("name", "slug", "description", "repository_url")
ENVIRONMENT_FIELDS = (
    "name",
    "base_url",
    "api_url",
    "k8s_namespace",
    "probe_zone",
    "notes",
    "production",
)
# A Kubernetes namespace is a DNS label (RFC 1123): the API server refuses others.
NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def _check_service(service: Service) -> None:
    others = Service.objects.filter(team_id=service.team_id, name=service.name)
    if others.exclude(pk=service.pk).exists():
        raise ValidationError({"name": "Another service of the team has this name."})


def _check_environment(environment: Environment) -> None:
    errors = {}
    others = Environment.objects.filter(
        service_id=environment.service_id, name=environment.name
    )
    if others.exclude(pk=environment.pk).exists():
        errors["name"] = "The service already has an environment of this name."
    namespace = environment.k8s_namespace
    if namespace and not NAMESPACE.fullmatch(namespace):
        errors["k8s_namespace"] = (
            "Use lower-case letters, digits and hyphens, starting and ending "
            "with a letter or digit (at most 63)."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def service_create(
    *,
    team: Team,
    name: str,
    by: User,
    slug: str = "",
    description: str = "",
    repository_url: str = "",
) -> Service:
    """Add a service to a team; leads only.

    The slug defaults to the name's. Refuses a name the team already uses, a
    slug any team uses and a repository URL that is not one.
    """
    permissions.require(by, "manage_catalog", team)
    service = Service(team=team)
    changes = {"name": name, "description": description}
    changes["slug"] = slug.strip() or slugify(name)[:120]
    rows.assign(service, {**changes, "repository_url": repository_url}, SERVICE_FIELDS)
    _check_service(service)
    return rows.row_save(
        service, by=by, action="service.created", team_id=team.pk, fields=SERVICE_FIELDS
    )


@transaction.atomic
def service_update(*, service: Service, by: User, **changes: str) -> Service:
    """Change a service's name, slug, description or repository URL; leads only."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    permissions.require(by, "manage_catalog", service.team)
    return rows.row_change(
        service,
        changes,
        by=by,
        action="service.changed",
        team_id=service.team_id,
        fields=SERVICE_FIELDS,
        check=_check_service,
    )


@transaction.atomic
def environment_create(
    *, service: Service, name: str, by: User, **settings: str | bool
) -> Environment:
    """Add an environment to a service; leads only.

    `settings` are the other ENVIRONMENT_FIELDS (URLs, Kubernetes namespace,
    probe zone, notes, whether it is production: its deploys count in the
    delivery metrics). Refuses a name the service already has, URLs that are
    not URLs and a namespace Kubernetes would refuse.
    """
    permissions.require(by, "manage_catalog", service.team)
    environment = Environment(service=service)
    rows.assign(environment, {"name": name, **settings}, ENVIRONMENT_FIELDS)
    _check_environment(environment)
    return rows.row_save(
        environment,
        by=by,
        action="environment.created",
        team_id=service.team_id,
        fields=("service", *ENVIRONMENT_FIELDS),
    )


@transaction.atomic
def environment_update(
    *, environment: Environment, by: User, **changes: str | bool
) -> Environment:
    """Change an environment's name, URLs, namespace, probe zone, notes or
    production flag; leads only. An environment stays with its service."""
    environment = Environment.objects.select_for_update().get(pk=environment.pk)
    team = environment.service.team
    permissions.require(by, "manage_catalog", team)
    return rows.row_change(
        environment,
        changes,
        by=by,
        action="environment.changed",
        team_id=team.pk,
        fields=ENVIRONMENT_FIELDS,
        check=_check_environment,
    )
