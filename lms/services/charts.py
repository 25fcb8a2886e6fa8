"""Small bar charts drawn on the server as SVG: no library, no script, no font or file from elsewhere.

``bar_chart`` only computes geometry and texts; the template ``admin/_report_chart.html`` writes the SVG with
autoescaping, presentation attributes and classes from app.css (the Content-Security-Policy refuses inline
``style`` attributes). A chart always comes with a text summary (its ``<desc>``) and a data table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext

from ..i18n import current_language, join_list

MAX_AXIS_LABELS = 12  # more would overlap; the others stay in the data table
MAX_VALUE_LABELS = 26  # numbers above the bars, when there is room for them


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str  # the whole chart in words, for screen readers
    x_title: str
    y_title: str
    value_header: str  # the data table's header for the values
    width: int
    height: int
    left: int  # the plot area
    right: int
    top: int
    bottom: int
    bars: list[Bar]
    ticks: list[Tick]

    @property
    def show_values(self) -> bool:
        return len(self.bars) <= MAX_VALUE_LABELS


def nice_step(maximum: int, steps: int = 4) -> int:
    """A round step (1, 2, 5 × 10ⁿ) that divides 0..maximum into about ``steps`` parts."""
    raw = max(1, maximum) / steps
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    return max(1, next(f * power for f in (1, 2, 5, 10) if f * power >= raw))


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, summary: str, x_title: str, y_title: str,
              value_header: str, width: int = 640, height: int = 260) -> BarChart:
    """Vertical bars for (label, count) items, with a count axis that starts at zero."""
    left, right, top, bottom = 48, width - 12, 16, height - 44
    step = nice_step(max((value for _, value in items), default=0))
    top_value = max(step, -(-max((value for _, value in items), default=0) // step) * step)
    scale = (bottom - top) / top_value
    ticks = [Tick(value, round(bottom - value * scale, 2)) for value in range(0, top_value + 1, step)]
    slot = (right - left) / max(1, len(items))
    every = max(1, math.ceil(len(items) / MAX_AXIS_LABELS))
    bars = []
    for index, (label, value) in enumerate(items):
        bar_width = slot * 0.7
        bars.append(Bar(label, value, round(left + index * slot + (slot - bar_width) / 2, 2),
                        round(bottom - value * scale, 2), round(bar_width, 2), round(value * scale, 2),
                        index % every == 0))
    return BarChart(title, summary, x_title, y_title, value_header, width, height, left, right, top, bottom, bars,
                    ticks)


def _summary(items: Sequence[tuple[str, int]]) -> str:
    return join_list(_("%(label)s: %(count)d", label=label, count=count) for label, count in items)


def band_label(low: int, high: int) -> str:
    if low == high:
        return _("%(percent)d%%", percent=low)
    return _("%(low)d–%(high)d%%", low=low, high=high)


def progress_chart(bands: Sequence[tuple[tuple[int, int], int]]) -> BarChart:
    """Trainees by the share of the course they have done."""
    items = [(band_label(low, high), count) for (low, high), count in bands]
    total = sum(count for _, count in items)
    return bar_chart(
        items, title=_("Progress distribution"),
        summary=ngettext("%(num)d trainee by share of the course done: %(counts)s",
                         "%(num)d trainees by share of the course done: %(counts)s", total, counts=_summary(items)),
        x_title=_("Share of the course done"), y_title=_("Trainees"), value_header=_("Trainees"))


def reviews_chart(weeks: Sequence[tuple[date, int]]) -> BarChart:
    """Reviews released per week across the cohort's dates."""
    # 12/5 is ambiguous in English: the month's name there (Dec 5), 12/5 in Japanese.
    pattern = "M/d" if current_language() == "ja" else "MMM d"
    items = [(format_date(start, pattern), count) for start, count in weeks]
    total = sum(count for _, count in items)
    summary = ngettext("%(num)d review released, by the week it was released in: %(counts)s",
                       "%(num)d reviews released, by the week they were released in: %(counts)s", total,
                       counts=_summary(items))
    return bar_chart(items, title=_("Reviews over time"), summary=summary, x_title=_("Week starting"),
                     y_title=_("Reviews"), value_header=_("Reviews released"))
