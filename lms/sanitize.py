"""Markdown to safe HTML: the only module that marks HTML as safe.

Everything a user or a course author writes goes through ``render_markdown`` (at
import time for course content), and templates show it with ``|safe_html``.
"""

from __future__ import annotations

import re
from html import unescape

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "del", "sup", "sub",
    "ul", "ol", "li", "dl", "dt", "dd", "blockquote",
    "code", "pre", "kbd",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
    "a", "abbr",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "th": ["align"],
    "td": ["align"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

class _SafeLinks(Filter):
    """Links leave the site without handing it the opener or the referrer."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a" and (None, "href") in token["data"]:
                token["data"][(None, "rel")] = "noopener noreferrer"
            yield token


_cleaner = bleach.sanitizer.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_SafeLinks],
)


# Python-Markdown looks for the "]" that closes every "[" by scanning the rest of the paragraph: a text of many "["
# (a trainee's 50,000-character section, a lesson) took time quadratic in its length (8,000 "[" 6 s, 80,000 over
# 200 s). Link text is bounded instead: longer than MAX_LINK_TEXT characters, or brackets nested deeper than
# MAX_LINK_NESTING, and the "[" is plain text, so the scan per "[" is bounded and the whole run is linear. The same
# for the "(target)" after it ("[a](" repeated: 12,000 times took 23 s): it is read within MAX_LINK_TARGET characters.
MAX_LINK_TEXT = 1000
MAX_LINK_NESTING = 32
MAX_LINK_TARGET = 2000


def _bounded_get_text(self, data: str, index: int) -> tuple[str, int, bool]:
    """``LinkInlineProcessor.getText`` with a bounded scan (same results for link text within the bounds)."""
    bracket_count = 1
    start = index
    for pos in range(index, min(len(data), start + MAX_LINK_TEXT)):
        c = data[pos]
        if c == "]":
            bracket_count -= 1
        elif c == "[":
            bracket_count += 1
            if bracket_count > MAX_LINK_NESTING:
                break
        index += 1
        if bracket_count == 0:
            return data[start:index - 1], index, True
    return data[start:index], index, False


def _bounded_get_link(get_link):
    """``getLink`` reading only a window of MAX_LINK_TARGET characters after the "]" (positions shifted back)."""

    def bounded(data: str, index: int):
        href, title, end, handled = get_link(data[index:index + MAX_LINK_TARGET], 0)
        return href, title, end + index, handled

    return bounded


class _BoundedLinks(markdown.extensions.Extension):
    def extendMarkdown(self, md):
        for processor in md.inlinePatterns:
            if isinstance(processor, markdown.inlinepatterns.LinkInlineProcessor):
                processor.getText = _bounded_get_text.__get__(processor)
                processor.getLink = _bounded_get_link(processor.getLink)


def _markdown() -> markdown.Markdown:
    # A fresh instance per call: Markdown objects keep state between conversions.
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "smarty", _BoundedLinks()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def clean_html(html: str) -> str:
    """Strip everything outside the allowlist from an HTML fragment."""
    return _cleaner.clean(html)


# A Markdown table whose top-left heading is blank (| | A | B |) gives an empty <th>: a heading that names nothing
# for screen readers. It becomes an ordinary empty cell.
_EMPTY_HEADING = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def render_markdown(text: str) -> str:
    """Markdown source to sanitized HTML (a plain string, ready to store)."""
    return _EMPTY_HEADING.sub(r"<td\1></td>", clean_html(_markdown().convert(text or "")))


# A table in Markdown content scrolls sideways inside its own box on a narrow screen instead of widening the page
# or squeezing its cells: the box is a region that takes keyboard focus (so it can be scrolled), named after the
# table's column headings so that two tables on one page have different names.
_TABLE_OPEN = re.compile(r"<table(\s[^>]*)?>")
_HEAD_CELL = re.compile(r"<th(?:\s[^>]*)?>(.*?)</th>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _table_label(rest: str) -> str:
    from flask_babel import gettext

    from .i18n import colon, join_list

    head = rest[:rest.find("</thead>")] if "</thead>" in rest[:rest.find("</table>")] else ""
    names = [unescape(_TAG.sub("", cell)).strip() for cell in _HEAD_CELL.findall(head)]
    names = [name for name in names if name][:6]
    return gettext("Table") + (colon() + join_list(names) if names else "")


def safe_html(stored: str | None) -> Markup:
    """Mark HTML that ``render_markdown`` produced (and that was stored) as safe for templates."""
    html = stored or ""
    if "<table" in html:
        html = _TABLE_OPEN.sub(
            lambda m: f'<div class="table-wrap" role="region" tabindex="0" aria-label="{escape(_table_label(html[m.end():]))}">'
                      f'{m.group(0)}', html).replace("</table>", "</table></div>")
    return Markup(html)
