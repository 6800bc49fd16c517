"""The OpenAPI schema and its interactive docs, served without any CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_schema_describes_the_readiness_endpoint():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")

    schema = response.json()
    readiness = schema["paths"]["/api/v1/releases/{id}/readiness/"]["get"]
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert "200" in readiness["responses"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_docs_load_every_asset_from_this_server(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    html = page.content.decode()
    external = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert page.status_code == 200
    assert external == []
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "<script>" not in html
    assert script.status_code == 200
    assert "https://" not in script.content.decode().replace("https://github.com", "")


def test_the_docs_assets_ship_with_the_app():
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        path = f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"
        assert finders.find(path), f"{path} is not among the static files"


def test_the_docs_page_has_no_inline_style_and_keeps_the_sites_policy(client, settings):
    page = client.get("/api/docs/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<style" not in html
    assert " style=" not in html
    assert '<link rel="stylesheet" href="/static/css/api-docs.css">' in html
    assert finders.find("css/api-docs.css")
    assert page["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "style-src 'self';" in page["Content-Security-Policy"]
