"""Templates stay readable: no line longer than 140 characters.

Let {% spaceless %} (or gzip) save the bytes instead of one-line markup.
"""

from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LIMIT = 140


@pytest.mark.parametrize(
    "template",
    sorted(TEMPLATES.rglob("*.html")),
    ids=lambda path: str(path.relative_to(TEMPLATES)),
)
def test_no_template_line_is_longer_than_140_characters(template: Path):
    long_lines = [
        f"line {number}: {len(line)} characters"
        for number, line in enumerate(template.read_text().splitlines(), start=1)
        if len(line) > LIMIT
    ]

    assert long_lines == []
