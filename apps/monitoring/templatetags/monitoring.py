"""The monitoring page's sparklines: server-side SVG, no script, no inline style."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apps.monitoring.selectors import Trend

register = template.Library()

WIDTH, HEIGHT, PAD = 120, 28, 3


@register.simple_tag
def sparkline(trend: Trend, config_id: int) -> SafeString:
    """A latency line per bucket (gaps where nothing was checked) with a red dot
    under each bucket that had a failure, and its text alternative: the same in
    words (`latency_words`), in a visually hidden element the SVG names."""
    label_id = f"trend-{trend.period.unit}-{config_id}"
    values = [value for value in trend.latency if value is not None]
    top = max(values, default=0) or 1
    last = max(len(trend.latency) - 1, 1)

    def x(index: int) -> float:
        return round(PAD + index * (WIDTH - 2 * PAD) / last, 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD - 4), 1)

    runs, run = [], []
    for index, value in enumerate(trend.latency):
        if value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append((x(index), y(value)))
    if run:
        runs.append(run)
    lines = format_html_join(
        "",
        '<polyline points="{}"></polyline>',
        (
            (" ".join(f"{px},{py}" for px, py in points),)
            for points in runs
            if len(points) > 1
        ),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="1.6"></circle>',
        (points[0] for points in runs if len(points) == 1),
    )
    failures = format_html_join(
        "",
        '<circle class="spark-fail" cx="{}" cy="{}" r="2"></circle>',
        ((x(index), HEIGHT - 2) for index, count in enumerate(trend.failures) if count),
    )
    return format_html(
        '<svg class="spark" viewBox="0 0 {} {}" width="{}" height="{}" role="img"'
        ' aria-labelledby="{}" focusable="false">{}{}{}</svg>'
        '<span id="{}" class="visually-hidden">{}</span>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        label_id,
        lines,
        dots,
        failures,
        label_id,
        latency_words(trend),
    )


def latency_words(trend: Trend) -> str:
    """The sparkline in words: the range of the buckets' average latency and the
    buckets with failures."""
    values = [value for value in trend.latency if value is not None]
    unit = "hours" if trend.period.unit == "hour" else "days"
    if not values:
        return f"No checks in the last {trend.period.label}."
    failing = sum(1 for count in trend.failures if count)
    text = (
        f"Average latency per {trend.period.unit} over the last {trend.period.label}: "
        f"{min(values):.0f} to {max(values):.0f} ms"
    )
    if failing:
        text += f"; failures in {failing} of {len(trend.failures)} {unit}"
    return text + "."


@register.filter
def checks_words(checks: list) -> str:
    """The recent checks strip in words, oldest first."""
    if not checks:
        return "No checks yet."
    statuses = ", ".join(check.status for check in checks)
    return f"Last {len(checks)} checks: {statuses}"
