"""Changing checklist templates and who may sign their roles, by subject:
`templates` (import, export, owned changes with copy on write) and `eligibility`.
"""

from apps.checklists.services.eligibility import signoff_eligibility_set
from apps.checklists.services.templates import (
    DEFAULT_NAME,
    OPTIONS,
    PROBE_KIND_BY_TEXT,
    SEED,
    TemplateChange,
    template_change,
    template_ensure_default,
    template_export,
    template_import,
    template_latest,
)

__all__ = [
    "DEFAULT_NAME",
    "OPTIONS",
    "PROBE_KIND_BY_TEXT",
    "SEED",
    "TemplateChange",
    "signoff_eligibility_set",
    "template_change",
    "template_ensure_default",
    "template_export",
    "template_import",
    "template_latest",
]
