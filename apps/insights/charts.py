"""Weekly trend charts as server-side SVG, with DORA's 2024 bands.

Plain Python: these functions place the shapes and write the repeated ones
(ticks, bands, a bar per week, a table row per week) as escaped markup, which
the template prints inside the chart's frame; the page needs no script and no
inline style (strict CSP). Each chart also carries its text alternative.

Written here rather than by template loops because the loops were most of the
page's time: five charts of 26 weeks were about 1,100 template nodes, each
resolved and localised one by one (docs/benchmarks.md, the Insights row).
"""

from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 116, 12, 28

# The 2024 Accelerate State of DevOps report's performance levels, as reference
# lines in each chart's unit. The 2025 report dropped these tiers in favour of
# team archetypes; the page says so.
BANDS: dict[str, list[tuple[float, str]]] = {
    "deployment_frequency": [
        (7.0, "elite: on demand"),
        (1.0, "high: ≥ weekly"),
        (0.25, "medium: ≥ monthly"),
    ],
    "change_lead_time": [
        (24.0, "elite: < 1 day"),
        (168.0, "high: < 1 week"),
        (720.0, "medium: < 1 month"),
    ],
    "change_fail_rate": [
        (5.0, "elite: 5%"),
        (10.0, "medium: 10%"),
        (20.0, "high: 20%"),
        (40.0, "low: 40%"),
    ],
    "recovery_time": [
        (1.0, "elite: < 1 hour"),
        (24.0, "high/medium: < 1 day"),
        (168.0, "low: ≥ 1 week"),
    ],
    "rework_rate": [],
}


class Markup(str):
    """Markup already escaped here: Django's templates print an object with
    `__html__` as it is, so the chart's shapes are not escaped twice."""

    __slots__ = ()

    def __html__(self) -> str:
        return self


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Line:
    y: float
    label: str
    label_y: float = 0.0


@dataclass
class Chart:
    key: str
    title: str
    unit: str
    rows: list[tuple[str, float | None, str]]  # week, value, the cell's text
    bars: list[Bar] = field(default_factory=list)
    bands: list[Line] = field(default_factory=list)
    ticks: list[Line] = field(default_factory=list)
    top: float = 0.0
    description: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    plot_right: int = WIDTH - RIGHT
    base: int = HEIGHT - BOTTOM
    first_week: str = ""
    last_week: str = ""

    @property
    def marks(self) -> Markup:
        """The SVG shapes inside the frame: the y ticks, the DORA bands with
        their labels, and a bar per week with its value as a tooltip."""
        right = self.plot_right
        parts = [
            f'<text class="tick" x="42" y="{tick.y}" text-anchor="end">'
            f"{escape(tick.label)}</text>"
            for tick in self.ticks
        ]
        parts += [
            f'<line class="band" x1="{LEFT}" x2="{right}" y1="{band.y}" '
            f'y2="{band.y}"/><text class="band-label" x="{right + 4}" '
            f'y="{band.label_y}">{escape(band.label)}</text>'
            for band in self.bands
        ]
        parts += [
            f'<rect class="bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" '
            f'height="{bar.height}"><title>{escape(bar.label)}</title></rect>'
            for bar in self.bars
        ]
        return Markup("".join(parts))

    @property
    def table_rows(self) -> Markup:
        """The rows of the table beside the chart: the week and its value."""
        return Markup(
            "".join(
                f"<tr><td>{escape(week)}</td><td>{escape(text)}</td></tr>"
                for week, _value, text in self.rows
            )
        )


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "hours":
        if value >= 48:
            return f"{value / 24:.1f} days"
        return f"{value:.1f} h"
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def chart(key: str, title: str, unit: str, points: list[tuple[str, float | None]]):
    """A bar per week; the y axis reaches the data and the next band above it."""
    rows = [(week, value, _fmt(value, unit)) for week, value in points]
    present = [v for _, v in points if v is not None]
    highest = max(present, default=0.0)
    bands = BANDS.get(key, [])
    above = [level for level, _ in bands if level >= highest]
    top = max(highest, min(above, default=highest), 1.0) * 1.1
    base, height = HEIGHT - BOTTOM, HEIGHT - BOTTOM - TOP
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(len(points), 1)

    def y(value: float) -> float:
        return round(base - height * value / top, 1)

    result = Chart(key=key, title=title, unit=unit, rows=rows, top=top)
    for index, (week, value) in enumerate(points):
        if value is None:
            continue
        result.bars.append(
            Bar(
                x=round(LEFT + index * step + step * 0.15, 1),
                y=y(value),
                width=round(step * 0.7, 1),
                height=round(base - y(value), 1),
                label=f"{week}: {_fmt(value, unit)}",
            )
        )
    result.bands = _spaced(
        [Line(y(level), label) for level, label in bands if level <= top]
    )
    result.ticks = [Line(y(top / 1.1 * f), _fmt(top / 1.1 * f, unit)) for f in (0, 1)]
    result.first_week = points[0][0] if points else ""
    result.last_week = points[-1][0] if points else ""
    result.description = describe(title, unit, points)
    return result


def _spaced(lines: list[Line], gap: float = 12.0) -> list[Line]:
    """The lines with their labels moved apart, so close bands stay readable."""
    placed: list[Line] = []
    for line in sorted(lines, key=lambda line: -line.y):
        label_y = line.y
        if placed and placed[-1].label_y - label_y < gap:
            label_y = placed[-1].label_y - gap
        placed.append(Line(line.y, line.label, round(label_y, 1)))
    return placed


def describe(title: str, unit: str, points: list[tuple[str, float | None]]) -> str:
    """The chart in words: what a screen reader reads instead of the bars."""
    present = [(week, v) for week, v in points if v is not None]
    if not present:
        return f"{title}: no data in the {len(points)} weeks shown."
    low = min(present, key=lambda p: p[1])
    high = max(present, key=lambda p: p[1])
    return (
        f"{title} over {len(points)} weeks from {points[0][0]}: "
        f"{len(present)} weeks with data, lowest {_fmt(low[1], unit)} "
        f"(week of {low[0]}), highest {_fmt(high[1], unit)} (week of {high[0]}), "
        f"latest {_fmt(present[-1][1], unit)} (week of {present[-1][0]})."
    )
