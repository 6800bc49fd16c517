"""Adding, changing and removing contacts and support resources: leads, audited."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.audit import rows
from apps.catalog.models import Service
from apps.contacts.models import Contact, SupportResource

CONTACT_FIELDS = ("service", "role", "name", "email", "phone", "escalation_order")
RESOURCE_FIELDS = ("service", "kind", "label", "url")
LAST_ESCALATION = 99


def _check(row: Contact | SupportResource) -> None:
    """Refuse a service of another team and an escalation order out of 1 to
    LAST_ESCALATION."""
    service: Service | None = row.service
    if service is not None and service.team_id != row.team_id:
        raise ValidationError({"service": "No such service."})
    if isinstance(row, Contact) and not 1 <= row.escalation_order <= LAST_ESCALATION:
        raise ValidationError(
            {"escalation_order": f"Use 1 to {LAST_ESCALATION}: 1 is called first."}
        )


@transaction.atomic
def contact_create(*, team: Team, role: str, by: User, **details) -> Contact:
    """Add a contact of the team, or of one of its services; leads only.

    `details` are the other CONTACT_FIELDS (service, name, email, phone,
    escalation_order).
    """
    permissions.require(by, "manage_contacts", team)
    contact = Contact(team=team)
    rows.assign(contact, {"role": role, **details}, CONTACT_FIELDS)
    _check(contact)
    return rows.row_save(
        contact, by=by, action="contact.created", team_id=team.pk, fields=CONTACT_FIELDS
    )


@transaction.atomic
def contact_update(*, contact: Contact, by: User, **changes) -> Contact:
    """Change a contact (its escalation order too); leads only."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    permissions.require(by, "manage_contacts", contact.team)
    return rows.row_change(
        contact,
        changes,
        by=by,
        action="contact.changed",
        team_id=contact.team_id,
        fields=CONTACT_FIELDS,
        check=_check,
    )


@transaction.atomic
def contact_delete(*, contact: Contact, by: User) -> None:
    """Remove a contact; leads only."""
    permissions.require(by, "manage_contacts", contact.team)
    rows.row_delete(
        contact,
        by=by,
        action="contact.deleted",
        team_id=contact.team_id,
        fields=CONTACT_FIELDS,
    )


@transaction.atomic
def support_resource_create(
    *, team: Team, kind: str, label: str, url: str, by: User, service=None
) -> SupportResource:
    """Add a link of the team, or of one of its services; leads only."""
    permissions.require(by, "manage_contacts", team)
    resource = SupportResource(team=team)
    changes = {"kind": kind, "label": label, "url": url, "service": service}
    rows.assign(resource, changes, RESOURCE_FIELDS)
    _check(resource)
    return rows.row_save(
        resource,
        by=by,
        action="support_resource.created",
        team_id=team.pk,
        fields=RESOURCE_FIELDS,
    )


@transaction.atomic
def support_resource_update(
    *, resource: SupportResource, by: User, **changes
) -> SupportResource:
    """Change a support resource's kind, label, URL or service; leads only."""
    resource = SupportResource.objects.select_for_update().get(pk=resource.pk)
    permissions.require(by, "manage_contacts", resource.team)
    return rows.row_change(
        resource,
        changes,
        by=by,
        action="support_resource.changed",
        team_id=resource.team_id,
        fields=RESOURCE_FIELDS,
        check=_check,
    )


@transaction.atomic
def support_resource_delete(*, resource: SupportResource, by: User) -> None:
    """Remove a support resource; leads only."""
    permissions.require(by, "manage_contacts", resource.team)
    rows.row_delete(
        resource,
        by=by,
        action="support_resource.deleted",
        team_id=resource.team_id,
        fields=RESOURCE_FIELDS,
    )
