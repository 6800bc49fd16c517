"""Rendering records and audit events as CSV and JSON Lines, safely and in a stream."""

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from apps.audit import chain
from apps.records.selectors import EVENT_FIELDS

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = frozenset("=+-@\t\r")
RECORD_COLUMNS = ("section", "index", "field", "value")
LIST_SECTIONS = ("checklist", "signoff_roles", "signoffs", "probe_evidence", "timeline")
CHUNK = 2000


def neutralise(text: str) -> str:
    """Prefix a quote to cells that would start a formula (CWE-1236)."""
    return "'" + text if text[:1] in FORMULA_START else text


def cell(value: Any) -> str:
    """One value as CSV text: JSON for structures, lower-case booleans, '' for None."""
    # Called for every cell of a 100,000-row export: the common cases come first.
    if value.__class__ is str:
        return "'" + value if value[:1] in FORMULA_START else value
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, sort_keys=True, ensure_ascii=False))
    return neutralise(str(value))


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv."""

    def write(self, value: str) -> str:
        return value


def record_rows(record: dict[str, Any]) -> Iterator[list[str]]:
    """The record as long-format rows: section, index, field, value."""
    yield list(RECORD_COLUMNS)
    for key in ("format", "generated_at", "generated_by"):
        yield ["record", "", key, cell(record[key])]
    for section in ("release", "audit_head"):
        for field, value in record[section].items():
            if isinstance(value, dict):
                # The override: one row per fact, its blockers as one JSON cell.
                for key, part in value.items():
                    yield [section, "", f"{field}.{key}", cell(part)]
            else:
                yield [section, "", field, cell(value)]
    for section in LIST_SECTIONS:
        for index, entry in enumerate(record[section]):
            for field, value in entry.items():
                yield [section, str(index), field, cell(value)]


def record_csv(record: dict[str, Any]) -> str:
    writer = csv.writer(_Echo())
    return "".join(writer.writerow(row) for row in record_rows(record))


def _batched(lines: Iterable[str], size: int = 500) -> Iterator[str]:
    """Join lines into larger chunks: fewer writes to the socket, same flat memory."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _exported(row: tuple) -> dict[str, Any]:
    event = dict(zip(EVENT_FIELDS, row, strict=True))
    event["created_at"] = chain.timestamp(event["created_at"])
    return event


def events_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """Rows of EVENT_FIELDS values as CSV, a header first."""
    writer = csv.writer(_Echo())
    created = EVENT_FIELDS.index("created_at")

    def lines() -> Iterator[str]:
        yield writer.writerow(EVENT_FIELDS)
        for row in rows:
            cells = [cell(value) for value in row]
            cells[created] = chain.timestamp(row[created])
            yield writer.writerow(cells)

    return _batched(lines())


def events_jsonl(rows: Iterable[tuple]) -> Iterator[str]:
    """One event per line, every hashed field plus the hashes: verify_chain.py input."""
    return _batched(
        json.dumps(_exported(row), ensure_ascii=False) + "\n" for row in rows
    )
