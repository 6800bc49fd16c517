r"""Parse a Markdown deployment checklist into a document, and print it back.

Plain Python, no Django. The format is the seed's: `# Title`, `## Phase`,
`### N. Section`, `- [ ] item` (an optional `(advisory)` marker after the text, for
an item that warns rather than blocks, then an optional `: \`command\``), indented
detail lines under an item, fenced command blocks, and a `## Sign-Off` list
whose items become sign-off roles. Text that is not a checklist item is kept
verbatim so that printing a parsed document gives the same Markdown back.
"""

import re
from dataclasses import dataclass, field

PHASES = {
    "pre_deployment": "Pre-deployment",
    "deployment": "Deployment",
    "post_deployment": "Post-deployment",
    "rollback": "Rollback",
    "maintenance": "Maintenance",
}
# Part kinds that hold no checklist items of a release.
OTHER_KINDS = ("signoff", "runbook", "contacts", "resources", "criteria", "notes")

_KIND_BY_TITLE = [
    (re.compile(r"^pre[- ]?deployment\b", re.I), "pre_deployment"),
    (re.compile(r"^post[- ]?deployment\b", re.I), "post_deployment"),
    (re.compile(r"^deployment( steps)?\b", re.I), "deployment"),
    (re.compile(r"^rollback\b", re.I), "rollback"),
    (re.compile(r"^maintenance\b", re.I), "maintenance"),
    (re.compile(r"^sign[- ]?offs?\b", re.I), "signoff"),
    (re.compile(r"^(common issues|runbook|troubleshooting)\b", re.I), "runbook"),
    (re.compile(r"^(emergency )?contacts\b", re.I), "contacts"),
    (re.compile(r"^support resources\b", re.I), "resources"),
    (re.compile(r"^success criteria\b", re.I), "criteria"),
]

_CHECKBOX = re.compile(r"^- \[( |x|X)\] (?P<text>.*\S)\s*$")
_LOOKS_LIKE_CHECKBOX = re.compile(r"^\s{0,1}[-*+]\s*\[.?\]")
_COMMAND = re.compile(r"^(?P<text>.*?):\s*`(?P<command>[^`]+)`$")
_OPTIONAL = re.compile(r"\((if|optional)\b", re.I)
_ADVISORY = re.compile(r"\s+\(advisory\)$", re.I)
ADVISORY_MARKER = "(advisory)"
_SECTION = re.compile(r"^(?:(?P<number>\d+)\.\s+)?(?P<title>.+)$")
_STEP = re.compile(r"^#\s*(?P<number>\d+)\.\s*(?P<title>.+)$")
_ROLE_SUFFIX = re.compile(
    r"\s+(approval|approved|completed|ready|trained|notified|sign-?off)$", re.I
)
MAX_ITEM_LENGTH = 500


class MarkdownError(ValueError):
    """The Markdown is not a checklist this parser accepts; names the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass
class Item:
    text: str
    line: int
    command: str = ""
    details: list[str] = field(default_factory=list)
    required: bool = True
    advisory: bool = False  # warns instead of blocking: "(advisory)" after the text


@dataclass
class Block:
    """Lines of a heading's content: prose before the items, items, prose after."""

    body: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)


@dataclass
class Section(Block):
    title: str = ""
    number: str = ""
    line: int = 0


@dataclass
class Part(Block):
    title: str = ""
    kind: str = "notes"
    line: int = 0
    sections: list[Section] = field(default_factory=list)


@dataclass
class Document:
    title: str
    preamble: list[str] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)

    def checklist_items(self) -> list[tuple[Part, Section | None, Item]]:
        """Every checkbox in document order, with where it stands."""
        found = []
        for part in self.parts:
            found += [(part, None, item) for item in part.items]
            for section in part.sections:
                found += [(part, section, item) for item in section.items]
        return found


def part_kind(title: str) -> str:
    for pattern, kind in _KIND_BY_TITLE:
        if pattern.search(title.strip()):
            return kind
    return "notes"


def split_command(text: str) -> tuple[str, str]:
    """'Run migrations: `alembic upgrade head`' -> ('Run migrations', 'alembic ...')."""
    match = _COMMAND.match(text)
    if match and match.group("text").strip():
        return match.group("text").strip(), match.group("command").strip()
    return text, ""


def role_name(text: str) -> str:
    """'Technical Lead approval' -> 'Technical Lead'; 'Operations team ready' ->
    'Operations'."""
    name = _ROLE_SUFFIX.sub("", text.strip())
    name = re.sub(r"\s+team$", "", name, flags=re.I)
    return name or text.strip()


def role_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", role_name(text).lower()).strip("_")


def parse(source: str) -> Document:
    """Parse the Markdown; raise MarkdownError naming the first bad line."""
    lines = source.splitlines()
    document: Document | None = None
    part: Part | None = None
    block: Block | None = None
    fence_start = 0
    in_fence = False
    last_item: Item | None = None

    def add_raw(text: str) -> None:
        target = block if block is not None else None
        if target is None:
            document.preamble.append(text)
        elif target.items:
            target.trailer.append(text)
        else:
            target.body.append(text)

    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if document is None:
            if not line.strip():
                continue
            if not line.startswith("# "):
                raise MarkdownError(number, "a checklist starts with a '# Title' line")
            document = Document(title=line[2:].strip())
            continue
        if in_fence:
            add_raw(line)
            if line.strip().startswith("```"):
                in_fence = False
            continue
        if line.strip().startswith("```"):
            in_fence, fence_start, last_item = True, number, None
            add_raw(line)
            continue
        if line.startswith("# "):
            raise MarkdownError(number, "only one '# Title' heading is allowed")
        if line.startswith("## "):
            title = line[3:].strip()
            part = Part(title=title, kind=part_kind(title), line=number)
            document.parts.append(part)
            block, last_item = part, None
            continue
        if line.startswith("### "):
            if part is None:
                raise MarkdownError(
                    number, "a '### Section' needs a '## Phase' above it"
                )
            match = _SECTION.match(line[4:].strip())
            section = Section(
                title=match.group("title").strip(),
                number=match.group("number") or "",
                line=number,
            )
            part.sections.append(section)
            block, last_item = section, None
            continue
        checkbox = _CHECKBOX.match(line)
        if checkbox:
            if block is None:
                raise MarkdownError(
                    number, "a checklist item needs a '## Phase' above it"
                )
            if block.trailer and any(t.strip() for t in block.trailer):
                raise MarkdownError(
                    number,
                    "text stands between checklist items; move it above the first "
                    "item or below the last",
                )
            block.trailer.clear()
            text = checkbox.group("text").strip()
            if len(text) > MAX_ITEM_LENGTH:
                raise MarkdownError(
                    number, f"an item is limited to {MAX_ITEM_LENGTH} characters"
                )
            text, command = split_command(text)
            advisory = part.kind != "signoff" and bool(_ADVISORY.search(text))
            if advisory:
                text = _ADVISORY.sub("", text)
            last_item = Item(
                text=text,
                command=command,
                line=number,
                required=not _OPTIONAL.search(text),
                advisory=advisory,
            )
            block.items.append(last_item)
            continue
        if _LOOKS_LIKE_CHECKBOX.match(line):
            raise MarkdownError(
                number, "malformed checklist item; write it as '- [ ] text'"
            )
        if last_item is not None and line.startswith(("  ", "\t")) and line.strip():
            last_item.details.append(line)
            continue
        if line.strip():
            last_item = None
        add_raw(line)

    if document is None:
        raise MarkdownError(1, "the file is empty")
    if in_fence:
        raise MarkdownError(fence_start, "this code block is never closed with ```")
    _check(document)
    _trim(document)
    return document


def _check(document: Document) -> None:
    if not document.checklist_items():
        raise MarkdownError(1, "no checklist items ('- [ ] text') were found")
    keys: dict[str, int] = {}
    for part in document.parts:
        has_items = part.items or any(s.items for s in part.sections)
        if has_items and part.kind in (
            "notes",
            "runbook",
            "contacts",
            "resources",
            "criteria",
        ):
            raise MarkdownError(
                part.line,
                f"'## {part.title}' holds checklist items but is not a known "
                "phase (Pre-Deployment, Deployment Steps, Post-Deployment, "
                "Rollback Plan, Maintenance, Sign-Off)",
            )
        if part.kind == "signoff":
            for section in part.sections:
                if section.items:
                    raise MarkdownError(
                        section.line,
                        "sign-off roles are listed directly under the "
                        "'## Sign-Off' heading, without '###' sections",
                    )
            for item in part.items:
                key = role_key(item.text)
                if key in keys:
                    raise MarkdownError(
                        item.line,
                        f"the sign-off role '{role_name(item.text)}' is listed twice "
                        f"(first on line {keys[key]})",
                    )
                keys[key] = item.line


def _strip_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _trim(document: Document) -> None:
    document.preamble = _strip_blank(document.preamble)
    for part in document.parts:
        for block in [part, *part.sections]:
            block.body = _strip_blank(block.body)
            block.trailer = _strip_blank(block.trailer)


def item_line(item: Item) -> str:
    text = f"{item.text} {ADVISORY_MARKER}" if item.advisory else item.text
    text = f"{text}: `{item.command}`" if item.command else text
    return "\n".join([f"- [ ] {text}", *item.details])


def _block_lines(block: Block) -> list[str]:
    chunks: list[str] = []
    if block.body:
        chunks.append("\n".join(block.body))
    if block.items:
        chunks.append("\n".join(item_line(item) for item in block.items))
    if block.trailer:
        chunks.append("\n".join(block.trailer))
    return chunks


def render(document: Document) -> str:
    """Print the document as Markdown in the format parse() reads."""
    chunks = [f"# {document.title}"]
    if document.preamble:
        chunks.append("\n".join(document.preamble))
    for part in document.parts:
        chunks.append(f"## {part.title}")
        chunks += _block_lines(part)
        for section in part.sections:
            heading = (
                f"{section.number}. {section.title}"
                if section.number
                else (section.title)
            )
            chunks.append(f"### {heading}")
            chunks += _block_lines(section)
    return "\n\n".join(chunks) + "\n"


@dataclass(frozen=True)
class Step:
    """A numbered step of a deployment or rollback procedure, with its commands."""

    title: str
    command: str


def steps_from_body(body: list[str], default_title: str) -> list[Step]:
    """Split fenced blocks on '# N. Title' comments into steps."""
    steps: list[Step] = []
    fence: list[str] | None = None
    for line in body:
        if line.strip().startswith("```"):
            if fence is None:
                fence = []
                continue
            steps += _fence_steps(fence, default_title)
            fence = None
        elif fence is not None:
            fence.append(line)
    return steps


def _fence_steps(lines: list[str], default_title: str) -> list[Step]:
    steps: list[Step] = []
    title, commands = "", []
    for line in lines:
        match = _STEP.match(line.strip())
        if match:
            if title or any(c.strip() for c in commands):
                steps.append(Step(title or default_title, "\n".join(commands).strip()))
            title, commands = match.group("title").strip(), []
        else:
            commands.append(line)
    if title or any(c.strip() for c in commands):
        steps.append(Step(title or default_title, "\n".join(commands).strip()))
    return steps


@dataclass(frozen=True)
class RunbookEntry:
    problem: str
    commands: str
    causes: list[str]


def runbook_entry(section: Section) -> RunbookEntry:
    """'### Issue: X' with a fenced solution -> problem, commands, likely causes."""
    problem = re.sub(r"^issue:\s*", "", section.title, flags=re.I)
    commands, causes, in_causes, fence = [], [], False, False
    for line in section.body:
        if line.strip().startswith("```"):
            fence = not fence
            continue
        if not fence:
            continue
        stripped = line.strip()
        if re.match(r"^#\s*common causes:?", stripped, re.I):
            in_causes = True
            continue
        if in_causes and stripped.startswith("# -"):
            causes.append(stripped[3:].strip())
            continue
        in_causes = False
        commands.append(line)
    return RunbookEntry(problem, "\n".join(commands).strip(), causes)


def success_criteria(part: Part) -> list[str]:
    """The '- ✅ text' lines of a Success Criteria part."""
    found = []
    for line in part.body + part.trailer:
        match = re.match(r"^-\s*(?:✅\s*)?(.+)$", line.strip())
        if match:
            found.append(match.group(1).strip())
    return found
