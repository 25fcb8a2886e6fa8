"""Locale selection and formatting: the one place that decides the language."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from babel import negotiate_locale
from babel.support import NullTranslations
from flask import has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .clock import TIMEZONE  # noqa: F401 (lms.i18n.TIMEZONE: the program's zone, defined in lms.clock)
from .clock import TOKYO

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}  # each in its own language, never translated
SESSION_KEY = "lang"


def select_locale() -> str | None:
    """The user's saved preference, else the header switch, else Accept-Language, else ja."""
    if not has_request_context():
        return None  # the CLI and mail outside requests: the default, or force_locale()
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    # negotiate_locale maps regional tags (en-GB, ja-JP) to the languages we have, in the client's order.
    wanted = [value for value, _quality in request.accept_languages]
    return negotiate_locale(wanted, LANGUAGES, sep="-") or DEFAULT_LANGUAGE


def translations():
    """The catalogue of the current locale, looked up once per request rather than once per string.

    A page calls gettext hundreds of times; Flask-Babel resolves domain, locale and catalogue through three
    context proxies on each call. This remembers the answer beside Flask-Babel's own locale, keyed by that
    locale object, so ``force_locale`` (which swaps it) and ``refresh`` (which drops it) are still obeyed.
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return NullTranslations()
    state = app_ctx.g.__dict__.get("_flask_babel")
    if state is not None:
        remembered = getattr(state, "lms_translations", None)
        if remembered is not None and remembered[0] is getattr(state, "babel_locale", None):
            return remembered[1]
    found = get_translations()
    state = app_ctx.g.__dict__.get("_flask_babel")
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.lms_translations = (state.babel_locale, found)
    return found


def install_template_gettext(jinja_env) -> None:
    """``_()`` and friends in templates through ``translations()`` (newstyle: Jinja escapes and formats)."""
    jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def current_language() -> str:
    app_ctx = _cv_app.get(None)
    state = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
    locale = getattr(state, "babel_locale", None) or get_locale()  # Flask-Babel's own per-request answer, if known
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def localized(obj, field: str, lang: str | None = None) -> str:
    """``obj.<field>_<lang>`` for the current language, falling back to the other one."""
    lang = lang or current_language()
    order = (lang,) + tuple(code for code in LANGUAGES if code != lang)
    for code in order:
        value = getattr(obj, f"{field}_{code}", None)
        if value:
            return value
    return ""


def localized_text(texts: dict[str, str] | None, lang: str | None = None) -> str:
    """A ``{"ja": ..., "en": ...}`` text (from quiz data) in the current language, else the other one."""
    if not texts:
        return ""
    lang = lang or current_language()
    return texts.get(lang) or next((texts[code] for code in LANGUAGES if texts.get(code)), "")


# English short dates (12/5/26) read differently in Japan, the US and Europe: English uses the month's name.
EN_DATETIME = "MMM d, y, HH:mm"  # Dec 5, 2026, 14:03
EN_DATE = "MMM d, y"  # Dec 5, 2026


def format_when(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC datetime shown in Asia/Tokyo in the current locale; never a numeric date in English."""
    if not value:
        return ""
    if fmt in ("short", "medium") and current_language() == "en":
        fmt = EN_DATETIME
    return format_datetime(value, fmt)


def join_list(items) -> str:
    """A list as running text: 「A、B、C」 in Japanese, "A, B, C" in English."""
    return ("、" if current_language() == "ja" else ", ").join(str(item) for item in items)


def parens(text) -> str:
    """An aside after a word: full-width 「（…）」 with no space in Japanese, " (…)" in English."""
    return f"（{text}）" if current_language() == "ja" else f" ({text})"


def colon() -> str:
    """The colon after a label: full-width 「：」 in Japanese (no space after it), ": " in English."""
    return "：" if current_language() == "ja" else ": "


# Kana, CJK ideographs, CJK punctuation and full-width forms: text that is written without spaces between words.
_JAPANESE = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef"
_ENDS_JAPANESE = re.compile(f"[{_JAPANESE}]$")
_STARTS_JAPANESE = re.compile(f"^[ \t]*[{_JAPANESE}]")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def join_japanese_lines(text: str) -> str:
    """Japanese Markdown with its source line breaks removed between two Japanese characters.

    A browser shows a line break inside a paragraph as a space, which Japanese text never has
    (「もとに、 顧客発見」). Lines are joined only when one ends and the next begins with a Japanese character,
    outside code blocks and not after a hard break (two trailing spaces), so lists, headings and paragraphs
    keep their structure.
    """
    out: list[str] = []
    fenced = False
    for line in (text or "").split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            out.append(line)
            continue
        previous = out[-1] if out else ""
        if (not fenced and out and _ENDS_JAPANESE.search(previous) and _STARTS_JAPANESE.match(line)
                and not previous.endswith("  ") and not _FENCE.match(previous)):
            out[-1] = previous + line.lstrip(" \t")
        else:
            out.append(line)
    return "\n".join(out)


def format_sheet_time(value: datetime | None) -> str:
    """A UTC datetime for a spreadsheet cell: ``YYYY-MM-DD HH:MM`` in Asia/Tokyo, which Excel reads as a date-time."""
    return value.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if value else ""


def _half_up(value: float, places: int) -> str:
    """``value`` rounded half away from zero to ``places`` decimals, without trailing zeros: 88.9, 14.3, 100, 0.

    The float is first read at 9 decimals, so 100 * 1399 / 2000 (69.94999… in binary) counts as the 69.95 it is.
    """
    exact = Decimal(repr(round(value, 9))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{exact:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_score(percent: float | None, places: int = 1) -> str:
    """A percentage as people read it, the same on every page and export: half-up to one decimal
    (8/9 → 88.9, 1/7 → 14.3, 100, 0). Pass/fail is decided on the unrounded value (``rules.grading``)."""
    if percent is None:
        return ""
    return _half_up(percent, places)


def format_points(points: float | None) -> str:
    """Quiz points, which partial credit can make fractional: 8, 7.5, 6.67."""
    return "" if points is None else _half_up(points, 2)


def format_size(size: int) -> str:
    """Bytes as a person reads them: 820 KB, 3.4 MB."""
    if size < 1024 * 1024:
        return f"{max(1, -(-size // 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_day(value, fmt: str = "medium") -> str:
    if not value:
        return ""
    if fmt in ("short", "medium") and current_language() == "en":
        fmt = EN_DATE
    return format_date(value, fmt)


PROGRAM_LABELS = {
    "entrepreneur": _l("Global entrepreneur program"),
    "regulatory": _l("Regulatory-science training program"),
}
