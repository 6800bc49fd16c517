"""The role from docs/audit.md can append and verify, and cannot rewrite the trail.

The statements are read from the document itself and run inside the test's
transaction, so the role they create disappears with the rollback.
"""

import re
import uuid
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit import services, verification
from apps.audit.models import AuditEvent

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def _role_sql(role: str) -> list[str]:
    (block,) = [
        b for b in re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.S) if "ROLE" in b
    ]
    lines = [line for line in block.splitlines() if not line.startswith("--")]
    sql = "\n".join(lines).replace("shipshape_app", role)
    sql = sql.replace(
        "DATABASE shipshape ", f'DATABASE "{connection.settings_dict["NAME"]}" '
    )
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def _refused(sql: str) -> str:
    with (
        pytest.raises(DatabaseError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    return str(error.value)


@pytest.mark.postgres
def test_the_app_role_appends_and_verifies_but_cannot_rewrite(chain_of_five):
    role = f"shipshape_app_test_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        for statement in _role_sql(role):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
    try:
        event = services.record(actor=None, action="test.appended", target_id=6)
        assert event.seq == 6
        assert verification.chain_verify().ok
        for sql in (
            "UPDATE audit_auditevent SET actor_label = 'x' WHERE seq = 1",
            "DELETE FROM audit_auditevent WHERE seq = 1",
            "TRUNCATE audit_auditevent CASCADE",
            "DELETE FROM audit_audithead",
        ):
            assert "permission denied" in _refused(sql), sql
        # Setting the maintenance switch gives this role nothing.
        with connection.cursor() as cursor:
            cursor.execute("SET shipshape.audit_maintenance = on")
        assert "permission denied" in _refused("DELETE FROM audit_auditevent")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET shipshape.audit_maintenance")
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.count() == 6
