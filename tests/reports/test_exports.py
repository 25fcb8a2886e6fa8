"""CSV exports of the report and of grades: encoding for Excel in Japan, streaming, the audit trail, cost."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from lms import csv_export
from lms.extensions import db
from lms.models import AuditEvent, Role

from .helpers import build_course, join, mentor_for, new_cohort, populate, utc

NOW = utc(2026, 5, 1, 3)
BOM = "\ufeff".encode()


@pytest.fixture
def cohort(app, monkeypatch):
    monkeypatch.setattr("lms.clock.now", lambda: NOW)
    course = build_course(modules=2, assignments={1: 1, 2: 2})
    return new_cohort(course, ends_on=date(2026, 6, 30))


def read(response) -> list[list[str]]:
    data = response.get_data()
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def exported(action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_report_csv_in_japanese_keeps_japanese_names(cohort, as_, make_user):
    trainee = make_user(name_ja="山田 太郎", name_latin="Yamada Taro", organisation="川崎バイオ株式会社",
                        email="taro@example.org", password=None)
    join(cohort, trainee, course=cohort.courses[0])
    admin = as_(make_user(Role.ADMIN, locale="ja"))
    response = admin.post_form(f"/admin/cohorts/{cohort.id}/report.csv?stuck_days=10")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r"attachment; filename=cohort-\d+-report-course-report-\d{4}-\d\d-\d\d\.csv", disposition)
    assert disposition.isascii()
    header, *rows = read(response)
    assert header[:4] == ["氏名", "氏名（ローマ字）", "メールアドレス", "所属組織"]  # the admin's language
    assert header[9].startswith("第1章") and header[9].endswith("：完了したレッスン")  # module titles too
    assert header[10].endswith("：レッスン数")
    row, = rows
    assert len(row) == len(header)
    assert row[:4] == ["山田 太郎", "Yamada Taro", "taro@example.org", "川崎バイオ株式会社"]
    # Never active: idle from the cohort's start (2026-04-01 in Tokyo) to NOW, so stuck after 10 days.
    assert (row[5], row[6], row[7]) == ("0", "", "30")
    # Counts in columns of their own: "0/2" would be a date (1月2日) to Excel.
    assert row[9:11] == ["0", "2"] and "/" not in "".join(row[4:]) and row[-1] == ""
    event, = exported("report.export")
    assert (event.target_type, event.target_id) == ("cohort", str(cohort.id))
    assert event.details == {"course": "report-course", "format": "csv"}


def test_report_csv_in_english(cohort, as_, make_user):
    mentor = mentor_for(cohort, make_user)
    populate(cohort, cohort.courses[0], 3, mentor=mentor)
    admin = as_(make_user(Role.ADMIN, locale="en"))
    header, *rows = read(admin.post_form(f"/admin/cohorts/{cohort.id}/report.csv"))
    assert header == ["Name", "Name in Latin script", "E-mail address", "Organisation", "Stage",
                      "Steps done, percent", "Last activity (Asia/Tokyo)", "Days without activity",
                      "Stuck (no activity for 14 days)",
                      "Module 1: lessons done", "Module 1: lessons total", "Quiz 1: status", "Quiz 1: best score (%)",
                      "Assignment 1-1: status",
                      "Module 2: lessons done", "Module 2: lessons total", "Quiz 2: status", "Quiz 2: best score (%)",
                      "Assignment 2-1: status", "Assignment 2-2: status", "Certificate"]
    assert [row[1] for row in rows] == ["Trainee 0000", "Trainee 0001", "Trainee 0002"]
    assert all(len(row) == len(header) for row in rows)
    first, second, _third = rows
    # Trainee 0 never did anything (idle 30 days) but holds a certificate, so is not stuck.
    assert first[0] == "受講者0" and first[4:9] == ["Certified", "0", "", "30", "No"] and first[-1] == "Valid"
    # A date-time Excel reads as one, in Tokyo; counts as plain numbers.
    assert second[6:9] == ["2026-04-20 09:00", "11", "No"] and second[9:11] == ["2", "2"] and second[-1] == ""
    # populate(): trainee 1 took quiz 1 and failed with 60%; trainee 2 passed quizzes 1 and 2 with 70%.
    # The quiz's title is in the heading only; the score is a number of its own.
    assert [row[11:13] for row in rows] == [["Not attempted", ""], ["Not passed", "60"], ["Passed", "70"]]
    assert rows[2][16:18] == ["Passed", "70"]
    assert not any("Quiz" in value for row in rows for value in row)


def test_grades_csv(cohort, as_, make_user):
    mentor = mentor_for(cohort, make_user)
    populate(cohort, cohort.courses[0], 3, mentor=mentor)
    admin = as_(make_user(Role.ADMIN, locale="ja"))
    response = admin.post_form(f"/admin/cohorts/{cohort.id}/grades.csv")
    assert response.status_code == 200 and response.is_streamed
    assert "-grades-" in response.headers["Content-Disposition"]
    header, *rows = read(response)
    assert len(rows) == 3 and len(header) == len(rows[0])
    assert "小テスト1" in header[4] and "課題1-1" in "".join(header)
    assert rows[0][0] == "受講者0"
    event, = exported("grades.export")
    assert event.details == {"course": "report-course", "format": "csv"} and event.target_id == str(cohort.id)
    assert exported("report.export") == []


def test_each_export_is_recorded_with_its_course(cohort, as_, make_user):
    second = build_course(modules=1, slug="second-course")
    cohort.courses.append(second)
    db.session.commit()
    admin_user = make_user(Role.ADMIN)
    admin = as_(admin_user)
    admin.post_form(f"/admin/cohorts/{cohort.id}/report.csv?course={second.id}").get_data()
    admin.post_form(f"/admin/cohorts/{cohort.id}/grades.csv").get_data()
    admin.post_form(f"/admin/cohorts/{cohort.id}/grades.csv?course={second.id}").get_data()
    assert [(e.action, e.details["course"], e.actor_id) for e in exported("report.export")] == [
        ("report.export", "second-course", admin_user.id)]
    assert [e.details["course"] for e in exported("grades.export")] == ["report-course", "second-course"]
    html = admin.get("/admin/audit?action=grades.export", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Cohort grades exported" in html


def test_formulas_are_defused(cohort, as_, make_user):
    trainee = make_user(name_latin="=HYPERLINK(\"http://example.com\")", name_ja="@SUM(A1)", password=None)
    join(cohort, trainee, course=cohort.courses[0])
    header, row = read(as_(make_user(Role.ADMIN)).post_form(f"/admin/cohorts/{cohort.id}/grades.csv"))
    assert row[:2] == ["'@SUM(A1)", "'=HYPERLINK(\"http://example.com\")"]


@pytest.mark.parametrize("value, text", [
    (None, ""), ("", ""), ("山田", "山田"), ("-5", "'-5"), ("+81", "'+81"), ("=1+1", "'=1+1"), ("@x", "'@x"),
    (-5, "-5"), (85.5, "85.5"), ("a=b", "a=b")])
def test_cell(value, text):
    assert csv_export.cell(value) == text


def test_csv_response_streams_in_batches(app):
    sent = []

    def rows():
        for n in range(5):
            sent.append(n)
            yield [f"名前{n}", n]

    with app.test_request_context():
        response = csv_export.csv_response(["見出し", "n"], rows(), "x.csv", batch_size=2)
        chunks = list(response.response)
    assert chunks[0] == BOM + "見出し,n\r\n".encode() and sent == [0, 1, 2, 3, 4]
    assert [chunk.count(b"\r\n") for chunk in chunks[1:]] == [2, 2, 1]
    assert list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))[5] == ["名前4", "4"]


def test_the_exports_cost_the_same_for_3_and_40_trainees(cohort, as_, make_user, count_queries):
    mentor = mentor_for(cohort, make_user)
    admin = as_(make_user(Role.ADMIN))

    def cost(url):
        with count_queries() as counted:
            response = admin.post_form(url)
            rows = read(response)
        return counted.count, len(rows)

    populate(cohort, cohort.courses[0], 3, mentor=mentor)
    small = {kind: cost(f"/admin/cohorts/{cohort.id}/{kind}.csv") for kind in ("report", "grades")}
    populate(cohort, cohort.courses[0], 37, mentor=mentor, start=3)
    for kind in ("report", "grades"):
        queries, rows = cost(f"/admin/cohorts/{cohort.id}/{kind}.csv")
        assert (queries, rows) == (small[kind][0], 41)
