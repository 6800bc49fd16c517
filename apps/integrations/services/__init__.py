"""Deploy platforms: GitHub and GitLab mappings, deliveries, gate requests and
their answers, keyless CI (services.ci); one module per subject, every service
importable from here."""

from apps.integrations.services.deliveries import (
    github_delivery_process,
    github_delivery_receive,
    github_gates_reconcile,
    github_signature_valid,
)
from apps.integrations.services.gates import (
    Answer,
    GateAsk,
    gate_answer,
    gate_release_changed,
    gate_request_answer,
    gate_request_facts,
    gate_request_open,
    release_version,
)
from apps.integrations.services.mappings import (
    github_mapping_create,
    github_mapping_delete,
    gitlab_mapping_create,
    gitlab_mapping_delete,
    gitlab_mapping_set_token,
    gitlab_token_decrypt,
)

__all__ = [
    "Answer",
    "GateAsk",
    "gate_answer",
    "gate_release_changed",
    "gate_request_answer",
    "gate_request_facts",
    "gate_request_open",
    "github_delivery_process",
    "github_delivery_receive",
    "github_gates_reconcile",
    "github_mapping_create",
    "github_mapping_delete",
    "github_signature_valid",
    "gitlab_mapping_create",
    "gitlab_mapping_delete",
    "gitlab_mapping_set_token",
    "gitlab_token_decrypt",
    "release_version",
]
