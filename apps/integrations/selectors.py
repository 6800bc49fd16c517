"""Reads of integrations, scoped to the caller's teams."""

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from apps.accounts.permissions import team_ids_for
from apps.integrations.models import GitHubMapping, GitLabMapping


def github_mapping_list_for_user(user: User) -> QuerySet[GitHubMapping]:
    """The mappings of the user's teams (every team's for an admin)."""
    mappings = GitHubMapping.objects.select_related(
        "team", "service", "environment", "created_by"
    ).order_by("repository", "environment_name", "pk")
    teams = team_ids_for(user)
    return mappings if teams is None else mappings.filter(team_id__in=teams)


def github_mapping_get_for_user(user: User, pk: object) -> GitHubMapping:
    """One mapping of the user's teams; another team's is a 404."""
    return get_object_or_404(github_mapping_list_for_user(user), pk=pk)


def gitlab_mapping_list_for_user(user: User) -> QuerySet[GitLabMapping]:
    """The GitLab mappings of the user's teams (every team's for an admin)."""
    mappings = GitLabMapping.objects.select_related(
        "team", "service", "environment", "created_by"
    ).order_by("project_path", "environment_name", "pk")
    teams = team_ids_for(user)
    return mappings if teams is None else mappings.filter(team_id__in=teams)


def gitlab_mapping_get_for_user(user: User, pk: object) -> GitLabMapping:
    """One GitLab mapping of the user's teams; another team's is a 404."""
    return get_object_or_404(gitlab_mapping_list_for_user(user), pk=pk)
