"""The report page: who may see it, what it shows in both languages, its charts, its cost in queries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, Cohort, Role
from lms.security import CONTENT_SECURITY_POLICY
from lms.services import charts, reports

from .helpers import build_course, join, mentor_for, new_cohort, populate, utc

NOW = utc(2026, 5, 1, 3)
URLS = ("/admin/cohorts/{id}/report", "/admin/cohorts/{id}/report.csv", "/admin/cohorts/{id}/grades.csv")


def fetch(client, url):
    """The report is a GET; the exports are POSTs (each one is recorded)."""
    return client.post_form(url) if url.endswith(".csv") else client.get(url)


@pytest.fixture
def cohort(app, monkeypatch):
    monkeypatch.setattr("lms.clock.now", lambda: NOW)
    course = build_course(modules=2, assignments={1: 1, 2: 2})
    return new_cohort(course, ends_on=date(2026, 6, 30))


def test_only_admins_reach_the_report_and_its_exports(cohort, client, as_, make_user):
    for role in (Role.TRAINEE, Role.MENTOR):
        user = make_user(role)
        join(cohort, user, role=role.value, course=cohort.courses[0])  # even a member of the cohort
        other = as_(user)
        for url in URLS:
            assert fetch(other, url.format(id=cohort.id)).status_code == 403, (role, url)
    for url in URLS:
        response = fetch(client, url.format(id=cohort.id))
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), url
    admin = as_(make_user(Role.ADMIN))
    for url in URLS:
        assert fetch(admin, url.format(id=cohort.id + 1000)).status_code == 404, url
    assert list(db.session.scalars(select(AuditEvent))) == []  # refused and unknown: nothing exported


def page(client, cohort, **params):
    response = client.get(f"/admin/cohorts/{cohort.id}/report", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_in_english(cohort, as_, make_user):
    mentor_for(cohort, make_user, name_latin="Mori Mika")
    populate(cohort, cohort.courses[0], 4, mentor=make_user(Role.MENTOR))
    html = page(as_(make_user(Role.ADMIN, locale="en")), cohort)
    assert "<h1>Progress report: First cohort</h1>" in html
    for text in ("Module 1", "Module 2", "Stages", "Lessons and quizzes done", "Stuck trainees", "Mentor workload",
                 "Mori Mika", "Trainees by module", "How to read the table", "Trainee 0000",
                 "Submitted, waiting for review", "Progress distribution", "Reviews over time"):
        assert text in html, text
    assert "第1章" not in html


def test_the_page_in_japanese(cohort, as_, make_user):
    populate(cohort, cohort.courses[0], 2, mentor=make_user(Role.MENTOR))
    html = page(as_(make_user(Role.ADMIN, locale="ja")), cohort)
    assert '<html lang="ja">' in html
    assert "一期生" in html and "First cohort" not in html
    assert "第1章" in html and "Module 1" not in html
    assert "受講者0" in html  # the trainee's Japanese name


def test_charts_are_inline_svg_that_the_csp_allows(cohort, client, as_, make_user):
    populate(cohort, cohort.courses[0], 6, mentor=make_user(Role.MENTOR))
    response = as_(make_user(Role.ADMIN)).get(f"/admin/cohorts/{cohort.id}/report")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "style-src 'self'" in CONTENT_SECURITY_POLICY  # so no inline style attribute may be relied on
    html = response.get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        assert 'role="img"' in svg and "aria-label=" in svg and "<title>" in svg and "<desc " in svg
        assert "style=" not in svg and "<script" not in svg and "http" not in svg and "href" not in svg
        assert "<rect" in svg
    assert "style=" not in html and "<script>" not in html
    assert "The numbers behind this chart" in html  # the data as a table too


def test_filters_course_selector_and_pager(cohort, as_, make_user, monkeypatch):
    second = build_course(modules=1, slug="second-course")
    cohort.courses.append(second)
    db.session.commit()
    populate(cohort, cohort.courses[0], 5, mentor=make_user(Role.MENTOR))
    monkeypatch.setattr(reports, "MATRIX_PAGE_SIZE", 2)
    admin = as_(make_user(Role.ADMIN))
    html = page(admin, cohort, stuck_days=30)
    first_id = min(c.id for c in cohort.courses)
    assert f'<option value="{second.id}">' in html and f'<option value="{first_id}" selected>' in html
    assert "Page 1 of 3" in html
    assert "page=2" in html and "stuck_days=30" in html and f"course={first_id}" in html
    assert f"/admin/cohorts/{cohort.id}/report.csv?course={first_id}&amp;stuck_days=30" in html
    assert "Trainee 0002" not in html and "Trainee 0002" in page(admin, cohort, page=2)
    assert 'value="30"' in page(admin, cohort, stuck_days=30)
    assert 'value="365"' in page(admin, cohort, stuck_days=99999)
    assert 'value="14"' in page(admin, cohort, stuck_days="ten")
    assert f'<option value="{second.id}" selected>' in page(admin, cohort, course=second.id)
    assert f'<option value="{first_id}" selected>' in page(admin, cohort, course="999999")  # not the cohort's


def test_a_cohort_without_a_course_or_trainees(app, as_, make_user):
    cohort = Cohort(name_ja="空", name_en="Empty", program="regulatory", starts_on=date(2026, 4, 1))
    db.session.add(cohort)
    db.session.commit()
    admin = as_(make_user(Role.ADMIN))
    assert "has no course yet" in page(admin, cohort)
    assert admin.post_form(f"/admin/cohorts/{cohort.id}/report.csv").status_code == 404
    course = build_course(modules=1)
    cohort.courses.append(course)
    db.session.commit()
    assert "This cohort has no trainees yet." in page(admin, cohort)


# --- cost in queries


@pytest.fixture
def measure(count_queries):
    def run(client, url):
        with count_queries() as counted:
            response = fetch(client, url)
            body = response.get_data()
        assert response.status_code == 200 and body
        return counted.count
    return run


def test_the_page_costs_the_same_for_3_and_40_trainees(cohort, as_, make_user, measure):
    mentor = mentor_for(cohort, make_user)
    admin = as_(make_user(Role.ADMIN))
    url = f"/admin/cohorts/{cohort.id}/report?page=1"
    populate(cohort, cohort.courses[0], 3, mentor=mentor)
    small = measure(admin, url)
    populate(cohort, cohort.courses[0], 37, mentor=mentor, start=3)
    assert measure(admin, url) == small
    assert measure(admin, f"/admin/cohorts/{cohort.id}/report?page=2") <= small


def test_200_trainees_by_10_modules_cost_the_same_as_3(app, as_, make_user, measure, monkeypatch):
    monkeypatch.setattr("lms.clock.now", lambda: NOW)
    course = build_course(modules=10, lessons=3, assignments={m: 1 + m % 2 for m in range(1, 11)})
    small, large = new_cohort(course), new_cohort(course, name_ja="大", name_en="Large")
    mentor = mentor_for(small, make_user)
    join(large, mentor, role="mentor")
    populate(small, course, 3, mentor=mentor)
    populate(large, course, 200, mentor=mentor, start=3)
    admin = as_(make_user(Role.ADMIN))
    small_cost = measure(admin, f"/admin/cohorts/{small.id}/report")
    assert "Page 1 of 4" in admin.get(f"/admin/cohorts/{large.id}/report").get_data(as_text=True)
    assert measure(admin, f"/admin/cohorts/{large.id}/report") == small_cost
    assert measure(admin, f"/admin/cohorts/{large.id}/report.csv") == measure(
        admin, f"/admin/cohorts/{small.id}/report.csv")


# --- the charts' geometry


def test_bar_chart_geometry(app):
    with app.test_request_context():
        chart = charts.bar_chart([("a", 0), ("b", 7), ("c", 3)], title="T", summary="S", x_title="X", y_title="Y",
                                 value_header="V")
    assert [tick.value for tick in chart.ticks] == [0, 2, 4, 6, 8]
    assert chart.bars[0].height == 0 and chart.bars[1].height > chart.bars[2].height > 0
    assert chart.bars[1].y + chart.bars[1].height == chart.bottom
    assert all(chart.left <= bar.x and bar.x + bar.width <= chart.right for bar in chart.bars)


@pytest.mark.parametrize("maximum, step", [(0, 1), (3, 1), (7, 2), (13, 5), (40, 10), (200, 50), (1001, 500)])
def test_nice_step(maximum, step):
    assert charts.nice_step(maximum) == step


def test_many_weeks_keep_labels_apart(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        chart = charts.reviews_chart([(date(2026, 1, 5), 1)] * 60)
    assert sum(bar.show_label for bar in chart.bars) <= charts.MAX_AXIS_LABELS and not chart.show_values
    assert "60 reviews released" in chart.summary


def test_what_people_wrote_is_shown_as_text(cohort, as_, make_user):
    payload = '<script>alert(1)</script>'
    cohort.name_en = '<img src=x onerror=alert(1)>'
    cohort.courses[0].modules[0].title_en = payload
    db.session.commit()
    trainee = make_user(name_latin="<svg onload=alert(1)>", password=None)
    join(cohort, trainee, course=cohort.courses[0])
    mentor_for(cohort, make_user, name_latin='"><b>mentor</b>')
    html = page(as_(make_user(Role.ADMIN, locale="en")), cohort)
    for raw in (payload, "<img src=x", "<svg onload", "<b>mentor</b>"):
        assert raw not in html, raw
    for escaped in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
                    "&lt;svg onload=alert(1)&gt;", "&lt;b&gt;mentor&lt;/b&gt;"):
        assert escaped in html, escaped


def test_each_filter_has_its_label_above_and_its_hint_below(cohort, as_, make_user):
    from html.parser import HTMLParser

    class Filters(HTMLParser):
        def __init__(self):
            super().__init__()
            self.groups, self.depth, self.inside = [], 0, False

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "div" and "filter" in (attrs.get("class") or "").split():
                self.groups.append([])
                self.inside, self.depth = True, 0
            elif self.inside:
                if tag == "div":
                    self.depth += 1
                if tag in ("label", "select", "input", "p", "button"):
                    self.groups[-1].append((tag, attrs))

        def handle_endtag(self, tag):
            if self.inside and tag == "div":
                if self.depth == 0:
                    self.inside = False
                self.depth -= 1

    populate(cohort, cohort.courses[0], 1, mentor=mentor_for(cohort, make_user))
    html = as_(make_user(Role.ADMIN)).get(f"/admin/cohorts/{cohort.id}/report").get_data(as_text=True)
    parser = Filters()
    parser.feed(html)
    fields = [group for group in parser.groups if group[0][0] == "label"]
    assert len(fields) == 2
    for (label, label_attrs), (control, control_attrs), (hint, hint_attrs) in (group[:3] for group in fields):
        assert label == "label" and control in ("select", "input") and hint == "p"
        assert label_attrs["for"] == control_attrs["id"]
        assert control_attrs["aria-describedby"] == hint_attrs["id"] and "help" in hint_attrs["class"]
