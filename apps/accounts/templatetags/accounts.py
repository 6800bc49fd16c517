"""The account menu of every page's header."""

from django import template

from apps.accounts import permissions

register = template.Library()


@register.inclusion_tag("accounts/partials/user_menu.html", takes_context=True)
def user_menu(context: template.Context) -> dict:
    """The signed-in person's menu: team settings, API tokens, email
    preferences, webhooks (leads and admins), the audit log and its export
    (auditors, leads and admins), the API docs and sign out. No query of its
    own: the roles are those the page's permission checks read
    (apps.accounts.permissions caches them per request).
    """
    user = context["request"].user
    return {
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "webhooks": permissions.may_somewhere(user, "manage_webhooks"),
        "audit": permissions.may_somewhere(user, "view_audit"),
    }
