"""Saving and deleting a plain row with its audit event, for the services whose
whole write is one row (a service, an environment, a contact)."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from apps.audit.services import diff, record

M = TypeVar("M", bound=models.Model)


def facts(row: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """The row's values of `fields`, a relation by its id."""
    return {name: getattr(row, row._meta.get_field(name).attname) for name in fields}


def assign(row: models.Model, changes: dict[str, Any], fields: Sequence[str]) -> None:
    """Set the row's `changes`, strings stripped; a name outside `fields` is a
    programming error (TypeError), not the caller's input."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"Not changeable here: {', '.join(sorted(unknown))}.")
    for name, value in changes.items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)


def row_change(
    row: M,
    changes: dict[str, Any],
    *,
    by: User,
    action: str,
    team_id: int,
    fields: Sequence[str],
    check: Callable[[M], None],
) -> M:
    """Apply `changes` to a row, `check` it, save it and record what changed."""
    before = facts(row, fields)
    assign(row, changes, fields)
    check(row)
    return row_save(
        row, by=by, action=action, team_id=team_id, fields=fields, before=before
    )


def row_save(
    row: M,
    *,
    by: User,
    action: str,
    team_id: int,
    fields: Sequence[str],
    before: dict[str, Any] | None = None,
) -> M:
    """Check the row's fields (lengths, URLs, choices, unique fields), save it and
    record `fields`: all of them for a new row, what changed from `before` for
    a changed one; a change that changes nothing saves and records nothing. A
    refused value is a ValidationError naming its field.

    Constraints over several fields are the caller's to check first, with a
    message naming the field; one that a concurrent write broke after that
    check is still a ValidationError, never a 500.
    """
    row.full_clean(validate_constraints=False)
    if before is not None and not diff(before, facts(row, fields))[1]:
        return row  # nothing changed: nothing to save or record
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError(
            "Another change to the same name was saved at the same moment; try again."
        ) from None
    after = facts(row, fields)
    if before is not None:
        before, after = diff(before, after)
    record(
        actor=by, action=action, target=row, team_id=team_id, before=before, after=after
    )
    return row


def row_delete(
    row: models.Model, *, by: User, action: str, team_id: int, fields: Sequence[str]
) -> None:
    """Record the row's `fields` as they were, then delete it."""
    record(
        actor=by, action=action, target=row, team_id=team_id, before=facts(row, fields)
    )
    row.delete()
