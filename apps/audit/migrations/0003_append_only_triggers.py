"""Triggers that refuse UPDATE, DELETE and TRUNCATE on the audit tables."""

from django.db import migrations

from apps.audit import appendonly


def install(apps, schema_editor) -> None:
    for statement in appendonly.install_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    for statement in appendonly.uninstall_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_anchor_and_verification")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
