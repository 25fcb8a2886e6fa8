"""The personal calendar feed: a valid iCalendar at a secret URL, reset on request, never writes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from lms.extensions import db
from lms.services import calendar_feed
from tests.certificates.helpers import enrol_in, import_certified_course, new_cohort
from tests.security.conftest import post


def _feed_path(user):
    return f"/calendar/{user.id}/{calendar_feed.token_for(user)}.ics"


def _unfold(text):
    return text.replace("\r\n ", "").split("\r\n")


def test_the_feed_lists_due_dates_and_cohort_days_in_the_persons_language(app, tmp_path, make_user, client):
    course = import_certified_course(tmp_path)
    cohort = new_cohort(course, "一期, 春; 特別\\版")  # characters iCalendar must escape
    cohort.ends_on = date(2026, 9, 30)
    db.session.commit()
    user = make_user("trainee", locale="ja", name_ja="佐藤 健")
    enrol_in(user, course, cohort)
    writes = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(_feed_path(user))  # no login: the token is the credential
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    raw = response.get_data(as_text=True)
    assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = _unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 3  # the due date, the first and the last day
    assert sum(line.startswith("UID:") for line in lines) == sum(line.startswith("DTSTAMP:") for line in lines) == 3
    assert "SUMMARY:締切：事業計画" in lines
    assert "DTSTART:20260415T145959Z" in lines  # 15 April 23:59:59 in Tokyo
    assert "SUMMARY:一期\\, 春\\; 特別\\\\版の開始日" in lines
    assert "DTSTART;VALUE=DATE:20260401" in lines and "DTSTART;VALUE=DATE:20260930" in lines
    assert any(line.startswith("URL:http://localhost/courses/test-course/assignments/plan") for line in lines)


def test_reset_invalidates_the_old_url_and_tokens_are_per_person(app, tmp_path, make_user, as_, client):
    user = make_user("trainee")
    other = make_user("trainee")
    old = _feed_path(user)
    assert client.get(old).status_code == 200
    # Someone else's id with my token, a made-up token, and no token at all: 404.
    assert client.get(f"/calendar/{other.id}/{calendar_feed.token_for(user)}.ics").status_code == 404
    assert client.get(f"/calendar/{user.id}/{'0' * 40}.ics").status_code == 404
    assert client.get(f"/calendar/{user.id}/.ics").status_code == 404

    me = as_(user)
    page = me.get("/account/").get_data(as_text=True)
    assert old in page and "Google Calendar" in page and "Outlook" in page
    assert me.raw.post("/account/calendar/reset").status_code == 400  # CSRF
    assert client.get(old).status_code == 200
    response = post(me, "/account/calendar/reset")
    assert response.status_code == 302
    db.session.refresh(user)
    assert client.get(old).status_code == 404
    assert client.get(_feed_path(user)).status_code == 200
    assert _feed_path(user) in me.get("/account/").get_data(as_text=True)


def test_a_deactivated_person_has_no_feed(app, make_user, client):
    user = make_user("trainee")
    path = _feed_path(user)
    user.active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_the_profile_page_explains_subscribing_in_japanese(app, make_user, as_):
    page = as_(make_user("trainee", locale="ja")).get("/account/").get_data(as_text=True)
    assert "Google カレンダー" in page and "「予定表を追加」" in page
