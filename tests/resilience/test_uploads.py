"""Markdown import uploads: size cap, encoding and content, checked before parsing.

The page (a file or pasted text) and the API both cap the source at 1 MiB,
refuse bytes that are not UTF-8, and refuse a malformed checklist naming its
line; a refused upload saves nothing. The declared content type is not
trusted either way: a file is judged by its bytes.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.checklists.models import ChecklistTemplate

SMALL = "# Tiny\n\n## Pre-Deployment\n\n### 1. Code\n\n- [ ] Reviewed\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("big.md", b"- [ ] x\n" * 140_000, "text/markdown", "over 1 MB"),
        ("latin1.md", "# Caf\xe9\n".encode("latin-1"), "text/markdown", "not UTF-8"),
        ("picture.md", PNG, "image/png", "not UTF-8"),
        ("binary.md", PNG, "text/markdown", "not UTF-8"),
        ("notes.md", b"just some notes\n", "text/markdown", "line 1"),
    ],
)
def test_a_refused_upload_says_why_and_saves_nothing(
    client, lead, team, name, content, content_type, message
):
    client.force_login(lead)
    before = ChecklistTemplate.objects.count()
    upload = SimpleUploadedFile(name, content, content_type=content_type)

    response = client.post(
        reverse("checklists:import"),
        {"team": team.pk, "name": "upload", "file": upload, "action": "save"},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert ChecklistTemplate.objects.count() == before


def test_the_api_caps_the_source_and_saves_nothing(client, lead, team):
    client.force_login(lead)
    before = ChecklistTemplate.objects.count()

    response = client.post(
        "/api/v1/templates/import/",
        {"name": "big", "team": team.pk, "source": SMALL + "x" * (1024 * 1024)},
        content_type="application/json",
    )

    assert response.status_code in (400, 413)
    assert ChecklistTemplate.objects.count() == before
