"""The activity triggers again: on SQLite, migrations that rebuild the release
table (0005, 0007, 0008 add fields by copying it into a new one) dropped the
triggers 0004 made, so the dashboard's and the list's cache stamps missed
release writes. PostgreSQL kept them; reinstalling them there changes nothing.
ReleasesConfig also reinstalls them after every migrate on SQLite, so a later
rebuild cannot lose them again."""

from django.db import migrations

from apps.releases import activity


def install(apps, schema_editor) -> None:
    for statement in activity.install_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("releases", "0010_i20_release_env_version_index")]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop, elidable=False)
    ]
