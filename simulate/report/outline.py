"""The order of a single-scenario report's sections: one list for report.md and report.html.

Each section has an id (``<section id=...>`` in report.html) and a title (the ``## `` heading
of report.md and the ``<h2>`` of report.html). report.html renders its sections by walking
this list; tests/test_html.py checks that report.md's headings follow it, so the two files
cannot drift apart. A section is left out where the run has nothing for it (no risk targets,
no correlations, ...). ``html_only`` sections have no Markdown form (the sliders).
``extra`` is where further sections (e.g. a sweep's) are placed, in the order given.
Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REPORT_SECTIONS", "Section", "section_titles"]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    html_only: bool = False


REPORT_SECTIONS: tuple[Section, ...] = (
    Section("answer", "Answer"),
    Section("risk", "Risk"),
    Section("explore", "Explore the risk", html_only=True),
    Section("views", "Cost views"),
    Section("compare_to", "Published values"),
    Section("inputs", "Inputs"),
    Section("outputs", "Outputs"),
    Section("method", "Method"),
    Section("correlations", "Correlations"),
    Section("sensitivity", "Sensitivity"),
    Section("convergence", "Convergence"),
    Section("extra", "", html_only=True),  # placeholder: the caller's extra sections go here
    Section("notes", "Notes"),
    Section("plots", "Plots"),
    Section("provenance", "Provenance"),
)


def section_titles(*, markdown: bool) -> tuple[str, ...]:
    """The titles in order (those with a Markdown form when ``markdown``)."""
    return tuple(
        s.title for s in REPORT_SECTIONS if s.id != "extra" and not (markdown and s.html_only)
    )
