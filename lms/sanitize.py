"""Markdown to safe HTML: the only module that marks HTML as safe.

Everything a user or a course author writes goes through ``render_markdown`` (at
import time for course content), and templates show it with ``|safe_html``.
"""

from __future__ import annotations

import bleach
import markdown
from bleach.html5lib_shim import Filter
from markupsafe import Markup

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


def _markdown() -> markdown.Markdown:
    # A fresh instance per call: Markdown objects keep state between conversions.
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "smarty"],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


def clean_html(html: str) -> str:
    """Strip everything outside the allowlist from an HTML fragment."""
    return _cleaner.clean(html)


def render_markdown(text: str) -> str:
    """Markdown source to sanitized HTML (a plain string, ready to store)."""
    return clean_html(_markdown().convert(text or ""))


def safe_html(stored: str | None) -> Markup:
    """Mark HTML that ``render_markdown`` produced (and that was stored) as safe for templates."""
    return Markup(stored or "")
