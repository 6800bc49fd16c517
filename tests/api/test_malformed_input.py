"""No malformed request is a 500: each is a 4xx with a JSON message."""

import pytest

from apps.releases.models import Release

pytestmark = pytest.mark.django_db


def _post_raw(client, path: str, body: bytes, content_type: str = "application/json"):
    return client.generic("POST", path, body, content_type=content_type)


@pytest.fixture
def lead_client(client_for, lead):
    return client_for(lead)


def test_json_nested_ten_thousand_levels_deep_is_a_400(lead_client):
    body = b"[" * 10_000 + b"]" * 10_000

    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]


def test_json_nested_a_hundred_levels_deep_is_a_400(lead_client):
    body = b'{"a":' * 100 + b"1" + b"}" * 100

    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [b'{"version": 1e999}', b'{"version": NaN}', b'{"version": -Infinity}']
)
def test_non_finite_numbers_are_a_400(lead_client, body):
    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Malformed JSON")


@pytest.mark.parametrize(
    "body", [b'{"version": "\\ud800"}', b'{"\\udfff": 1}', b'{"version": "a\\u0000"}']
)
def test_lone_surrogates_and_nul_characters_are_a_400(lead_client, body):
    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 400
    assert "lone surrogate" in response.json()["detail"]


def test_a_surrogate_pair_is_an_ordinary_character(lead_client, environment, template):
    body = (
        b'{"service": %d, "environment": %d, "version": "1.0.0", '
        b'"notes": "ship it \\ud83d\\ude80"}' % (environment.service_id, environment.pk)
    )

    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 201
    assert Release.objects.get().notes == "ship it \U0001f680"


def test_a_body_that_is_not_utf8_is_a_400(lead_client):
    response = _post_raw(lead_client, "/api/v1/releases/", b'{"version": "\xff\xfe"}')

    assert response.status_code == 400
    assert "not UTF-8" in response.json()["detail"]


def test_an_oversized_body_is_a_413(lead_client, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = b'{"notes": "' + b"x" * 2000 + b'"}'

    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 413
    assert response.json()["detail"] == "Send at most 1000 bytes."


def test_truncated_json_is_a_400(lead_client):
    response = _post_raw(lead_client, "/api/v1/releases/", b'{"version": ')

    assert response.status_code == 400


def test_a_form_encoded_body_is_a_415(lead_client):
    response = _post_raw(
        lead_client,
        "/api/v1/releases/",
        b"version=1",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415


def test_a_json_array_instead_of_an_object_is_a_400(lead_client):
    response = _post_raw(lead_client, "/api/v1/releases/", b"[1, 2]")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_wrong_types_name_each_field(lead_client):
    response = lead_client.post(
        "/api/v1/releases/",
        {"service": "abc", "environment": -1, "version": ["x"]},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"service", "environment", "version"}


def test_an_id_too_large_for_the_database_is_a_404(lead_client):
    response = lead_client.get("/api/v1/releases/99999999999999999999999/")

    assert response.status_code == 404


def test_an_id_too_large_in_a_body_is_a_400(lead_client):
    response = lead_client.post(
        "/api/v1/signoffs/",
        {"release": 10**30, "role_key": "x", "decision": "approve"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["release"]


def test_a_huge_integer_is_a_400(lead_client):
    body = b'{"service": ' + b"9" * 5000 + b"}"

    response = _post_raw(lead_client, "/api/v1/releases/", body)

    assert response.status_code == 400
