"""Schemathesis's generated requests to the write operations of the app's own
OpenAPI schema (POST, PUT, PATCH, DELETE), as test_schema_fuzz.py sends them to
the read operations: no 5xx, every documented answer matching its schema.

A file of its own so that make test's two workers share the schema's fuzzing.
"""

from hypothesis import HealthCheck, settings

from tests.api.test_schema_fuzz import (  # noqa: F401 (fixtures)
    EXAMPLES_PER_OPERATION,
    READS,
    _keep_the_test_connection,
    bearer,
    fuzz_generated_requests,
    schema,
)


@schema.exclude(method=sorted(READS)).parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_write_without_a_5xx(case, bearer):  # noqa: F811
    fuzz_generated_requests(case, bearer)
