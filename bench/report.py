"""Turning measurements into the terminal table, and parsing wrk's summary."""

import json

COLUMNS = (
    ("scenario", "scenario", "<"),
    ("rps", "req/s", ">"),
    ("p50_ms", "p50 ms", ">"),
    ("p95_ms", "p95 ms", ">"),
    ("p99_ms", "p99 ms", ">"),
    ("errors", "errors", ">"),
    ("ratio", "× baseline", ">"),
    ("baseline_rps", "of req/s", ">"),
    ("queries", "SQL/req", ">"),
    ("goal", "goal", "<"),
)

# wrk calls done() once; it prints one JSON line the harness picks out.
LUA_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def parse_wrk(output: str) -> dict:
    """Requests/s, percentiles in ms and errors from the WRKJSON line."""
    line = next(text for text in output.splitlines() if text.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = data["seconds"] or 1.0
    return {
        "rps": round(data["requests"] / seconds, 1),
        "p50_ms": round(data["p50_us"] / 1000, 1),
        "p95_ms": round(data["p95_us"] / 1000, 1),
        "p99_ms": round(data["p99_us"] / 1000, 1),
        "errors": data["errors"],
        "requests": data["requests"],
    }


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None or value == "":
        return "–"
    if key == "ratio":
        return f"{value * 100:.1f} %"
    if key in ("rps", "baseline_rps"):
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    return str(value)


def table(rows: list[dict]) -> str:
    """A fixed-width table of the scenario rows, one line each."""
    cells = [[header for _, header, _ in COLUMNS]]
    cells += [[_cell(row, key) for key, _, _ in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = []
    for number, line in enumerate(cells):
        lines.append(
            "  ".join(
                f"{text:{align}{width}}"
                for text, width, (_, _, align) in zip(
                    line, widths, COLUMNS, strict=True
                )
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    """The same table as Markdown, for docs/benchmarks.md."""
    header = "| " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    rule = (
        "|"
        + "|".join(":--" if align == "<" else "--:" for _, _, align in COLUMNS)
        + "|"
    )
    body = [
        "| " + " | ".join(_cell(row, key) for key, _, _ in COLUMNS) + " |"
        for row in rows
    ]
    return "\n".join([header, rule, *body])
