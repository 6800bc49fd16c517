"""Load the default checklist template from the seed Markdown, so a database set
up with `migrate` alone (as production is) has it; `seed_demo` then finds it.

It writes through the loader template_import uses (`_template_rows_write`,
private to this app) with this migration's models, and records no audit event:
like the schema, the template comes with the install; the row keeps its source
and has no author.
"""

from django.db import migrations

NAMES = {
    "template": "ChecklistTemplate",
    "phase": "TemplatePhase",
    "section": "TemplateSection",
    "item": "TemplateItem",
    "role": "SignOffRole",
    "runbook": "RunbookEntry",
}


def load_default_template(apps, schema_editor) -> None:
    from apps.checklists.selectors import DEFAULT_NAME
    from apps.checklists.services.templates import (
        SEED,
        TemplateModels,
        _template_rows_write,
    )

    models = TemplateModels(
        **{field: apps.get_model("checklists", name) for field, name in NAMES.items()}
    )
    shared = models.template.objects.filter(name=DEFAULT_NAME, team__isnull=True)
    if shared.exists():
        return
    _template_rows_write(
        source=SEED.read_text(),
        name=DEFAULT_NAME,
        team_id=None,
        by_id=None,
        models=models,
    )


class Migration(migrations.Migration):
    dependencies = [("checklists", "0003_template_ownership_and_signoff_eligibility")]

    # Unapplying keeps the template: releases may already use it.
    operations = [
        migrations.RunPython(
            load_default_template, migrations.RunPython.noop, elidable=False
        )
    ]
