"""JSON logs: one object a line, each with the request id, also inside tasks."""

import io
import json
import logging

import pytest
from celery import shared_task

from apps.core import context
from apps.core.logging import JsonFormatter, RequestIdFilter


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_line_of_a_request_carries_its_request_id(db, client, json_lines):
    response = client.get("/accounts/login/?next=/", HTTP_X_REQUEST_ID="req-0123456789")
    client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="req-forbidden1"
    )

    assert response["X-Request-ID"] == "req-0123456789"
    lines = json_lines()
    access = [line for line in lines if line["logger"] == "shipshape.access"]
    assert access[0]["request_id"] == "req-0123456789"
    assert access[0]["message"] == "GET /accounts/login/ 200"
    assert access[0]["view"] == "accounts:login"
    assert isinstance(access[0]["duration_ms"], float)
    forbidden = [line for line in lines if line["logger"] == "django.request"]
    assert forbidden[0]["level"] == "WARNING"
    assert forbidden[0]["request_id"] == "req-forbidden1"
    assert forbidden[0]["path"] == "/metrics"
    assert all(line["request_id"] for line in lines)


def test_exceptions_are_logged_as_one_json_line(json_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("shipshape.test").exception("it failed", extra={"n": 3})

    [line] = json_lines()
    assert line["message"] == "it failed"
    assert line["level"] == "ERROR"
    assert line["n"] == 3
    assert "ValueError: boom" in line["exception"]
    assert line["request_id"] == ""


@shared_task
def log_inside_a_task() -> str:
    logging.getLogger("shipshape.test").info("inside the task")
    return context.current().request_id


def test_a_task_run_in_process_logs_with_the_request_id_of_its_caller(json_lines):
    token = context.bind(context.RequestContext(request_id="req-caller-42"))
    try:
        returned = log_inside_a_task.delay().get()
    finally:
        context.reset(token)

    assert returned == "req-caller-42"
    assert json_lines()[-1]["request_id"] == "req-caller-42"


def test_a_published_task_carries_the_request_id_in_its_headers(settings):
    """The header a worker reads: captured from the real publish path."""
    from kombu import Connection

    from config.celery import app

    token = context.bind(context.RequestContext(request_id="req-published-7"))
    try:
        with Connection("memory://") as connection:
            app.send_task(
                "tests.core.test_logging.log_inside_a_task",
                connection=connection,
                queue="h9-capture",
            )
            message = connection.SimpleQueue("h9-capture").get(timeout=2)
    finally:
        context.reset(token)

    assert message.headers["shipshape_request_id"] == "req-published-7"


def test_a_worker_binds_the_request_id_from_the_task_headers(json_lines):
    returned = log_inside_a_task.apply(
        headers={"shipshape_request_id": "req-from-header"}
    ).get()

    assert returned == "req-from-header"
    assert json_lines()[-1]["request_id"] == "req-from-header"
    assert context.current().request_id == ""


def test_a_task_enqueued_outside_a_request_logs_with_its_own_task_id(json_lines):
    result = log_inside_a_task.apply(task_id="task-id-0000000001")

    assert result.get() == "task-id-0000000001"
    assert json_lines()[-1]["request_id"] == "task-id-0000000001"
