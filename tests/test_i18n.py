"""Locale negotiation, Asia/Tokyo times, and the completeness of the catalogs."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from lms.i18n import format_points, format_score, format_when
from lms.extensions import db

from .conftest import REPO


def lang_of(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_default_is_japanese(client):
    response = client.get("/courses/")
    assert lang_of(response) == "ja"
    assert "コース" in response.get_data(as_text=True)


def test_accept_language_is_followed(client):
    response = client.get("/courses/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert lang_of(response) == "en"
    assert "Courses" in response.get_data(as_text=True)


def test_regional_accept_language_tags_are_understood(client):
    assert lang_of(client.get("/courses/", headers={"Accept-Language": "en-GB,ja;q=0.5"})) == "en"
    assert lang_of(client.get("/courses/", headers={"Accept-Language": "ja-JP,en;q=0.5"})) == "ja"


def test_unsupported_accept_language_falls_back_to_japanese(client):
    assert lang_of(client.get("/courses/", headers={"Accept-Language": "fr"})) == "ja"


def test_switch_is_kept_in_the_session_and_beats_accept_language(client):
    response = client.post_form("/language", {"lang": "en", "next": "/courses/"})
    assert response.status_code == 302 and response.headers["Location"] == "/courses/"
    assert lang_of(client.get("/courses/", headers={"Accept-Language": "ja"})) == "en"


def test_switch_refuses_an_outside_next(client):
    response = client.post_form("/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_saved_preference_wins_and_the_switch_updates_it(client, make_user):
    user = make_user(locale="en")
    client.login(user)
    assert lang_of(client.get("/dashboard", headers={"Accept-Language": "ja"})) == "en"
    client.post_form("/language", {"lang": "ja", "next": "/dashboard"})
    db.session.refresh(user)
    assert user.locale == "ja"
    assert lang_of(client.get("/dashboard", headers={"Accept-Language": "en"})) == "ja"


def test_times_are_shown_in_asia_tokyo(app):
    moment = datetime(2026, 1, 1, 15, 30, tzinfo=timezone.utc)
    with app.test_request_context(), force_locale("en"):
        assert format_when(moment, "yyyy-MM-dd HH:mm zzzz") == "2026-01-02 00:30 Japan Standard Time"
    with app.test_request_context(), force_locale("ja"):
        assert format_when(moment, "long").startswith("2026年1月2日 0:30:00")


# --- catalogs -----------------------------------------------------------------------

def _ids(catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def test_japanese_catalog_is_complete():
    with open(REPO / "translations/ja/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    with open(REPO / "translations/messages.pot", "rb") as handle:
        assert _ids(catalog) == _ids(read_po(handle)), "ja catalog out of step with messages.pot: run make update-catalogs"


def test_pot_is_up_to_date_with_the_source(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "-o", str(fresh), "."],
        cwd=REPO, check=True, capture_output=True,
    )
    with open(fresh, "rb") as handle:
        extracted = _ids(read_po(handle))
    with open(REPO / "translations/messages.pot", "rb") as handle:
        committed = _ids(read_po(handle))
    assert extracted == committed, (
        f"messages.pot is out of date (run make update-catalogs): new {sorted(extracted - committed)}, "
        f"gone {sorted(committed - extracted)}"
    )


@pytest.mark.parametrize("percent, text", [
    (800 / 9, "88.9"), (100 / 7, "14.3"), (600 / 7, "85.7"), (100.0, "100"), (0.0, "0"), (70.0, "70"),
    (12.25, "12.3"), (100 * 1399 / 2000, "70"), (66.64, "66.6"), (50.05, "50.1"), (None, "")])
def test_format_score_rounds_half_up_to_one_decimal(percent, text):
    assert format_score(percent) == text


def test_format_score_with_more_places_and_points():
    assert format_score(0.25, 3) == "0.25" and format_score(7.000000000000001, 3) == "7"
    assert (format_points(8.0), format_points(7.5), format_points(20 / 3), format_points(0)) == ("8", "7.5", "6.67", "0")


def test_lists_and_colons_follow_the_language(app):
    from lms.i18n import colon, join_japanese_lines, join_list

    with app.test_request_context(), force_locale("ja"):
        assert join_list(["PDF", "DOCX", "PPTX"]) == "PDF、DOCX、PPTX" and colon() == "："
    with app.test_request_context(), force_locale("en"):
        assert join_list(["PDF", "DOCX"]) == "PDF, DOCX" and colon() == ": "
    assert join_japanese_lines("もとに、\n顧客発見\n  を学ぶ。\nEnglish\nline") == "もとに、顧客発見を学ぶ。\nEnglish\nline"
    assert join_japanese_lines("段落。\n\n次の段落。") == "段落。\n\n次の段落。"
    assert join_japanese_lines("```\nコード\nコード\n```") == "```\nコード\nコード\n```"
    assert join_japanese_lines("改行  \nする") == "改行  \nする"


COUNTERS = "件人回日行個点問章つ"


def test_japanese_counters_follow_their_number_without_a_space():
    with open(REPO / "translations/ja/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    spaced = re.compile(r"(%\(\w+\)d|\b\d+) [" + COUNTERS + "]|[\u3040-\u9fff] (%\\(\\w+\\)d|\\d)")
    bad = [message.string for message in catalog if message.id and any(
        spaced.search(text) for text in (message.string if isinstance(message.string, tuple) else (message.string,)))]
    assert bad == []


def test_asides_in_parentheses_are_full_width_in_japanese(app, client, make_user, make_course):
    from lms.i18n import parens

    with app.test_request_context(), force_locale("ja"):
        assert parens("今日") == "（今日）"
    with app.test_request_context(), force_locale("en"):
        assert parens("today") == " (today)"
    from lms.models import Enrolment

    trainee = make_user("trainee", locale="ja")
    db.session.add(Enrolment(user_id=trainee.id, course_id=make_course().id, source="self"))
    db.session.commit()
    client.login(trainee)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "項目完了（0%）" in html and "完了 (0%)" not in html


def test_no_ascii_colon_between_japanese_words_in_the_catalog():
    with open(REPO / "translations/ja/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    mixed = re.compile(r"[\u3040-\u9fff）」]: |: [\u3040-\u9fff（「]")
    assert [m.string for m in catalog if m.id and isinstance(m.string, str) and mixed.search(m.string)] == []


def test_english_dates_name_the_month(app):
    from datetime import date

    from lms.i18n import format_day

    moment = datetime(2026, 12, 5, 5, 3, tzinfo=timezone.utc)  # 14:03 in Tokyo
    with app.test_request_context(), force_locale("en"):
        assert format_when(moment, "short") == format_when(moment) == "Dec 5, 2026, 14:03"
        assert format_day(date(2026, 12, 5), "short") == format_day(date(2026, 12, 5)) == "Dec 5, 2026"
        assert "/" not in format_when(moment, "short")
    with app.test_request_context(), force_locale("ja"):
        assert format_when(moment, "short") == "2026/12/05 14:03"


def test_template_strings_follow_a_locale_forced_inside_a_request(app):
    """The per-request catalogue is keyed by Flask-Babel's locale, so force_locale still switches it."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Log out') }}") == "Log out"
        with force_locale("ja"):
            assert render_template_string("{{ _('Log out') }}") == "ログアウト"
        assert render_template_string("{{ _('Log out') }}") == "Log out"
