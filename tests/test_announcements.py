"""Announcements: posted by an admin from the cohort page, in-app and mailed in each member's language."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import Announcement, AuditEvent, CohortMember, Notification
from tests.certificates.helpers import enrol_in, import_certified_course, new_cohort
from tests.security.conftest import post

FORM = {"title_ja": "説明会のお知らせ", "title_en": "Information session",
        "body_ja": "**4月20日**に説明会を開きます。", "body_en": "We meet on **20 April**.\n\n<script>x()</script>"}


def _world(tmp_path, make_user):
    course = import_certified_course(tmp_path)
    cohort, other = new_cohort(course, "一期"), new_cohort(course, "二期")
    ja = make_user("trainee", locale="ja", name_ja="佐藤 健")
    en = make_user("trainee", locale="en")
    outsider = make_user("trainee", locale="en")
    enrol_in(ja, course, cohort)
    enrol_in(en, course, cohort)
    enrol_in(outsider, course, other)
    mentor = make_user("mentor", locale="en")
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=mentor.id, role="mentor"))
    admin = make_user("admin", locale="en")
    db.session.commit()
    return cohort, ja, en, outsider, mentor, admin


def test_an_admin_posts_it_members_are_notified_and_mailed_in_their_language(app, tmp_path, make_user, as_, outbox):
    cohort, ja, en, outsider, mentor, admin = _world(tmp_path, make_user)
    staff = as_(admin)
    cohort_page = staff.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/admin/cohorts/{cohort.id}/announcements/new" in cohort_page and "No announcement has been" in cohort_page
    page = staff.get(f"/admin/cohorts/{cohort.id}/announcements/new")
    assert page.status_code == 200 and "Title in Japanese" in page.get_data(as_text=True)
    response = post(staff, f"/admin/cohorts/{cohort.id}/announcements/new", FORM)
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/admin/cohorts/{cohort.id}")
    announcement = db.session.scalar(select(Announcement))
    assert f"/announcements/{announcement.id}" in staff.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert "<strong>20 April</strong>" in announcement.body_html_en and "<script>" not in announcement.body_html_en

    mails = {m["To"]: m for m in outbox()}
    assert set(mails) == {ja.email, en.email, mentor.email}  # not the other cohort, not the admin
    assert mails[ja.email]["Subject"] == "お知らせ：説明会のお知らせ"
    assert "4月20日" in mails[ja.email].get_body().get_content()
    assert mails[en.email]["Subject"] == "Announcement: Information session"
    assert f"http://localhost/announcements/{announcement.id}" in mails[en.email].get_body().get_content()
    assert db.session.scalar(select(Notification).where(Notification.user_id == outsider.id)) is None
    assert {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "announcement"))} \
        == {ja.id, en.id, mentor.id}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "announcement.post"))
    assert event.actor_id == admin.id and event.target_id == str(cohort.id) and event.details["recipients"] == 3

    # In-app: the member's dashboard lists it, and the page shows it in their language.
    trainee = as_(en)
    assert f"/announcements/{announcement.id}" in trainee.get("/dashboard").get_data(as_text=True)
    notices = trainee.get("/notifications/").get_data(as_text=True)
    assert "Announcement to Cohort 一期: Information session" in notices
    page = trainee.get(f"/announcements/{announcement.id}").get_data(as_text=True)
    assert "Information session" in page and "<strong>20 April</strong>" in page and "<script>x()" not in page
    page = as_(ja).get(f"/announcements/{announcement.id}").get_data(as_text=True)
    assert "説明会のお知らせ" in page and "<strong>4月20日</strong>" in page


def test_who_may_read_it(app, tmp_path, make_user, as_, client):
    cohort, ja, en, outsider, mentor, admin = _world(tmp_path, make_user)
    post(as_(admin), f"/admin/cohorts/{cohort.id}/announcements/new", FORM)
    url = f"/announcements/{db.session.scalar(select(Announcement.id))}"
    assert as_(outsider).get(url).status_code == 404  # another cohort's trainee: not confirmed to exist
    assert as_(mentor).get(url).status_code == 200
    assert as_(admin).get(url).status_code == 200
    assert client.get(url).status_code == 302  # to the login page
    assert as_(en).get("/announcements/99999").status_code == 404


def test_switched_off_members_get_neither_and_posting_needs_both_languages_and_csrf(app, tmp_path, make_user, as_,
                                                                                     outbox):
    cohort, ja, en, outsider, mentor, admin = _world(tmp_path, make_user)
    en.muted = ["announcement"]
    db.session.commit()
    staff = as_(admin)
    refused = post(staff, f"/admin/cohorts/{cohort.id}/announcements/new", {**FORM, "body_en": ""})
    assert refused.status_code == 200 and db.session.scalar(select(Announcement)) is None
    no_csrf = staff.raw.post(f"/admin/cohorts/{cohort.id}/announcements/new", data=FORM)
    assert no_csrf.status_code == 400 and db.session.scalar(select(Announcement)) is None
    assert post(as_(mentor), f"/admin/cohorts/{cohort.id}/announcements/new", FORM).status_code == 403
    post(staff, f"/admin/cohorts/{cohort.id}/announcements/new", FORM)
    assert {m["To"] for m in outbox()} == {ja.email, mentor.email}
