"""README and docs/ tell the truth: short README, live links, every setting.

Plain file reads and an AST walk of config/settings.py; no database, no Django setup.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
CONFIGURATION = ROOT / "docs" / "configuration.md"
SETTINGS = ROOT / "config" / "settings.py"

# [text](target) and ![alt](target), not inside code spans or fenced blocks.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _links(path: Path) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", path.read_text()))
    return LINK.findall(text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text())
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug = _slug(heading)
        number = 1
        candidate = slug
        while candidate in anchors:
            candidate = f"{slug}-{number}"
            number += 1
        anchors.add(candidate)
    return anchors


def _settings_variables(source: str) -> dict[str, object]:
    """Every variable read through config.env's helpers, with a literal default."""
    found: dict[str, object] = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if not node.func.id.startswith("env_") or not node.args:
            continue
        name = node.args[0]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            default = node.args[1] if len(node.args) > 1 else None
            literal = default.value if isinstance(default, ast.Constant) else None
            found[name.value] = literal
        else:
            raise AssertionError(f"line {node.lineno}: a variable name must be literal")
    for node in ast.walk(ast.parse(source)):
        # A read that bypasses the helpers still has to be documented.
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            found[ast.literal_eval(node.slice)] = None
        if isinstance(node, ast.Call) and ast.unparse(node.func) in {
            "os.environ.get",
            "os.getenv",
        }:
            found[ast.literal_eval(node.args[0])] = None
    return found


def _documented_rows(text: str) -> dict[str, str]:
    """The table rows of configuration.md by the variable in their first cell."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\| `([A-Z][A-Z0-9_]*)` \|(.*)$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def _undocumented(settings_source: str, doc: str) -> list[str]:
    rows = _documented_rows(doc)
    return sorted(set(_settings_variables(settings_source)) - set(rows))


def test_the_readme_fits_in_twelve_kilobytes():
    assert len(README.read_bytes()) <= 12 * 1024


@pytest.mark.parametrize(
    "page", [README, *DOCS], ids=lambda path: str(path.relative_to(ROOT))
)
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page: Path):
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto: and the like are not checked here.
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"{target}: no heading #{anchor}")
    assert broken == []


def test_every_setting_read_in_settings_has_a_row_in_configuration_md():
    source = SETTINGS.read_text()

    assert _undocumented(source, CONFIGURATION.read_text()) == []


def test_a_whole_number_default_in_configuration_md_matches_the_code():
    rows = _documented_rows(CONFIGURATION.read_text())
    wrong = []
    for name, default in _settings_variables(SETTINGS.read_text()).items():
        if isinstance(default, int) and not isinstance(default, bool):
            documented = rows[name].split("|")[0].strip()
            if documented != f"`{default}`":
                wrong.append(f"{name}: code {default}, docs {documented}")
    assert wrong == []


def test_the_settings_check_catches_a_setting_missing_from_the_doc():
    source = SETTINGS.read_text() + '\nNEW_KNOB = env_int("SHIPSHAPE_NEW_KNOB", 3)\n'
    doc = CONFIGURATION.read_text()
    without_debug = "\n".join(
        line for line in doc.splitlines() if not line.startswith("| `DEBUG` |")
    )

    assert _undocumented(source, doc) == ["SHIPSHAPE_NEW_KNOB"]
    assert _undocumented(SETTINGS.read_text(), without_debug) == ["DEBUG"]
    assert "DEBUG" in _settings_variables(SETTINGS.read_text())
