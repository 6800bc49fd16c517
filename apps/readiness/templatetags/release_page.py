"""Tags of the release page: how the verdict looks, and item names that repeat.

A release is *blocked* when something said no (a failing blocking probe, a
rejected sign-off, an item marked blocked, a freeze), and *incomplete* when it
is only waiting (open items, missing sign-offs, probes not run or out of date).
The bars and badges take their colour from the state and always carry text and
an icon as well, so colour is never the only signal.
"""

from collections import Counter
from dataclasses import dataclass, field
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

READY, BLOCKED, INCOMPLETE = "ready", "blocked", "incomplete"
# State -> (tone in app.css, icon in base.html's sprite).
LOOKS = {READY: ("ok", "check"), BLOCKED: ("bad", "ban"), INCOMPLETE: ("info", "clock")}


@dataclass(frozen=True)
class Look:
    state: str
    tone: str
    icon: str
    causes: list[str] = field(default_factory=list)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else f"{count} {many}"


def _causes(blockers) -> list[str]:
    """What says no, in words, from the verdict's refusing blockers
    (apps.readiness.judge.Blocker.refused)."""
    refused = Counter(blocker.type for blocker in blockers if blocker.refused)
    probes, rejected, blocked = refused["probe"], refused["signoff"], refused["item"]
    frozen = refused["freeze"] > 0
    causes = []
    if probes:
        causes.append(_plural(probes, "a failing probe", "failing probes"))
    if rejected:
        causes.append(_plural(rejected, "a rejected sign-off", "rejected sign-offs"))
    if blocked:
        causes.append(_plural(blocked, "a blocked item", "blocked items"))
    if frozen:
        causes.append("a freeze window")
    return causes


def look_of(readiness) -> Look:
    """The state of a Readiness (apps.readiness.readiness) and what causes it."""
    if readiness.ready:
        return Look(READY, *LOOKS[READY])
    causes = _causes(readiness.blockers)
    state = BLOCKED if causes else INCOMPLETE
    return Look(state, *LOOKS[state], causes=causes)


@register.simple_tag
def readiness_look(readiness) -> Look:
    """{% readiness_look readiness as look %}: look.state, .tone, .icon, .causes."""
    return look_of(readiness)


# Where a blocker's link leads on the release page, by its type.
ANCHORS = {"evidence": "probes", "item": "item-{}", "signoff": "signoff-{}"}
SHOWN = 12  # blockers (and warnings) listed; the rest are counted


@register.simple_tag
def blocker_list(blockers) -> str:
    """{% blocker_list readiness.blockers %}: the first SHOWN blockers (or
    warnings) as a list of links to what blocks, and how many more there are.

    Written here rather than as a template loop (some sixty nodes rendered for
    twelve blockers): every tick's answer carries the readiness bar.
    """
    links = "".join(
        f'<li class="blocker-{escape(b.type)}"><a href="#'
        f'{escape(ANCHORS.get(b.type, "probe-result-{}").format(b.id))}">'
        f"{escape(b.text)}</a></li>"
        for b in blockers[:SHOWN]
    )
    more = len(blockers) - SHOWN
    tail = f'<p class="muted">… and {more} more.</p>' if more > 0 else ""
    return mark_safe(f"<ul>{links}</ul>{tail}")  # noqa: S308 (every value escaped)


@register.simple_tag
def twin_texts(phases) -> set[str]:
    """Item texts that occur more than once in the checklist ("Run migrations"
    as a check and as a step): their buttons add the section to their name."""
    counts = Counter(
        item.text
        for phase in phases
        for section in phase.sections
        for item in section.items
    )
    return {text for text, count in counts.items() if count > 1}
