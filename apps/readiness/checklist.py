"""The release page's checklist: items grouped by phase and section."""

from dataclasses import dataclass, field

from apps.releases.models import ReleaseItem


@dataclass
class Section:
    key: str
    number: str
    title: str
    items: list[ReleaseItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def settled(self) -> int:
        return sum(1 for item in self.items if item.settled)

    @property
    def percent(self) -> int:
        return (self.settled * 100) // self.total if self.total else 100


@dataclass
class Phase:
    key: str
    title: str
    sections: list[Section] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(section.total for section in self.sections)

    @property
    def settled(self) -> int:
        return sum(section.settled for section in self.sections)


def checklist(items: list[ReleaseItem]) -> list[Phase]:
    """Items grouped by phase and section, in checklist order."""
    phases: list[Phase] = []
    for item in items:
        if not phases or phases[-1].key != item.phase:
            phases.append(Phase(key=item.phase, title=item.phase_title))
        sections = phases[-1].sections
        title = item.section_title or item.phase_title
        if not sections or (sections[-1].number, sections[-1].title) != (
            item.section_number,
            title,
        ):
            sections.append(
                Section(
                    key=f"s{item.position}",
                    number=item.section_number,
                    title=title,
                )
            )
        sections[-1].items.append(item)
    return phases
