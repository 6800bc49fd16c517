"""Deploy platforms: GitHub and GitLab mappings, deliveries, gate requests and
their answers, keyless CI (services.ci); one module per subject, every service
importable from here."""

from apps.integrations.services.approvals import (
    gitlab_deployment_answer,
    gitlab_deployment_open,
    gitlab_deployments_poll,
)
from apps.integrations.services.deliveries import (
    github_delivery_process,
    github_delivery_receive,
    github_gates_reconcile,
    github_signature_valid,
    inbound_deliveries_prune,
)
from apps.integrations.services.gates import (
    Answer,
    GateAsk,
    gate_answer,
    gate_request_answer,
    gate_request_commits_fill,
    gate_request_facts,
    gate_request_open,
    release_version,
)
from apps.integrations.services.gitlab_deliveries import (
    gitlab_delivery_process,
    gitlab_delivery_receive,
    gitlab_webhook_authentic,
)
from apps.integrations.services.mappings import (
    github_mapping_create,
    github_mapping_delete,
    gitlab_mapping_create,
    gitlab_mapping_delete,
    gitlab_mapping_set_token,
    gitlab_token_decrypt,
)
from apps.integrations.services.status_checks import (
    gitlab_signature_valid,
    gitlab_status_check_answer,
    gitlab_status_check_receive,
    gitlab_status_checks_reconcile,
)
from apps.integrations.services.waiting import release_changed, release_waiting

__all__ = [
    "Answer",
    "GateAsk",
    "gate_answer",
    "gate_request_answer",
    "gate_request_commits_fill",
    "gate_request_facts",
    "gate_request_open",
    "github_delivery_process",
    "github_delivery_receive",
    "github_gates_reconcile",
    "github_mapping_create",
    "github_mapping_delete",
    "github_signature_valid",
    "inbound_deliveries_prune",
    "release_changed",
    "release_waiting",
    "gitlab_delivery_process",
    "gitlab_delivery_receive",
    "gitlab_deployment_answer",
    "gitlab_deployment_open",
    "gitlab_deployments_poll",
    "gitlab_signature_valid",
    "gitlab_status_check_answer",
    "gitlab_status_check_receive",
    "gitlab_status_checks_reconcile",
    "gitlab_mapping_create",
    "gitlab_mapping_delete",
    "gitlab_mapping_set_token",
    "gitlab_token_decrypt",
    "gitlab_webhook_authentic",
    "release_version",
]
