"""Symbols on pages must be drawn by the page's Japanese font (IPAexGothic, as IPAGothic): an empty box otherwise.

Letters and Japanese text are the font's business; what this guards is the marks, arrows and separators the
templates and the Japanese catalog put on pages (the report legend once showed ⧗ as an empty box).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from fontTools.ttLib import TTFont

from lms.fonts import FONT_PATH

from ..conftest import REPO


@lru_cache(maxsize=1)
def drawn() -> frozenset[int]:
    with TTFont(FONT_PATH, lazy=True) as font:
        return frozenset(font.getBestCmap())


def symbols(text: str) -> set[str]:
    return {ch for ch in text if ord(ch) > 127 and not unicodedata.category(ch).startswith(("L", "Z", "C", "M"))}


def missing(text: str) -> set[str]:
    return {ch for ch in symbols(text) if ord(ch) not in drawn()}


def test_templates_and_the_stylesheet_use_only_symbols_the_font_draws():
    problems = {}
    for path in sorted((REPO / "lms" / "templates").rglob("*.html")) + sorted((REPO / "static" / "src" / "css").glob("*.css")):
        if lacking := missing(path.read_text(encoding="utf-8")):
            problems[str(path.relative_to(REPO))] = sorted(lacking)
    assert problems == {}


def test_the_catalogs_use_only_symbols_the_font_draws():
    text = (REPO / "translations" / "ja" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    shown = "\n".join(re.findall(r'^(?:msgid|msgstr)(?:\[\d\])? (".*")$', text, re.M))
    assert sorted(missing(shown)) == []


def test_the_report_legend_draws_every_mark(app, client, make_user):
    from datetime import date

    from ..reports.helpers import build_course, new_cohort

    cohort = new_cohort(build_course(modules=1, assignments={1: 1}), ends_on=date(2026, 6, 30))
    client.login(make_user("admin"))
    html = client.get(f"/admin/cohorts/{cohort.id}/report").get_data(as_text=True)
    legend = html[html.index('class="report-legend"'):]
    assert "◐" in legend and "✓" in legend and not missing(legend)
