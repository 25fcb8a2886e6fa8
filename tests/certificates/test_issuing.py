"""Issuing certificates: automatic and by an admin, exactly once, snapshots, revocation and reissue."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms import unit_of_work
from lms.extensions import db
from lms.models import AuditEvent, Certificate, Course, Notification, User
from lms.services import certificates, learning
from lms.services.certificates import CertificateError

from .helpers import (approve_assignment, complete_everything, enrol_in, finish_lessons, import_certified_course,
                      pass_quiz)


@pytest.fixture
def trainee(make_user):
    return make_user("trainee", name_ja="佐藤 健", name_latin="Ken Sato")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def in_force(user, course):
    return list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.revoked_at.is_(None),
        Certificate.replaced_at.is_(None))))


def test_automatic_course_issues_when_the_last_lesson_is_done(app, tmp_path, trainee):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    last = finish_lessons(trainee, course, keep_last=True)
    pass_quiz(trainee, course)
    approve_assignment(trainee, course)
    assert in_force(trainee, course) == []
    with app.test_request_context():
        learning.set_lesson_done(trainee, last, True)
        db.session.commit()  # the request's commit: the progress event decides the certificate
        learning.set_lesson_done(trainee, last, True)  # again: nothing more
        db.session.commit()
    [certificate] = in_force(trainee, course)
    assert certificate.issued_by_id is None
    assert len(certificate.public_id) >= 22
    kinds = list(db.session.scalars(select(Notification.kind).where(Notification.user_id == trainee.id)))
    assert kinds == ["certificate_issued"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.target_id == certificate.public_id and event.details["automatic"] is True


def test_admin_course_waits_for_the_program_office(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path, issue="admin")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        assert certificates.issue_if_complete(trainee, course) is None
        assert certificates.standing(trainee, course).eligible
        report = certificates.issue(course, [trainee], admin)
        db.session.commit()
        again = certificates.issue(course, [trainee], admin)
        db.session.commit()
    assert len(report.issued) == 1 and again.already == 1 and not again.issued
    [certificate] = in_force(trainee, course)
    assert certificate.issued_by_id == admin.id


def test_admin_cannot_issue_to_someone_not_eligible(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path, issue="admin")
    enrol_in(trainee, course)
    finish_lessons(trainee, course)
    with app.test_request_context():
        report = certificates.issue(course, [trainee], admin)
    assert report.not_eligible == 1 and not report.issued
    assert in_force(trainee, course) == []


def test_concurrent_completion_issues_exactly_once(app, tmp_path, trainee, monkeypatch):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    user_id, course_id = trainee.id, course.id
    threads = 4
    # Every request has found "no certificate yet" before any inserts: the unique index must decide.
    barrier = threading.Barrier(threads, timeout=10)
    real_new = certificates._new_certificate

    def slow_new(*args):
        certificate = real_new(*args)
        barrier.wait()
        return certificate

    monkeypatch.setattr(certificates, "_new_certificate", slow_new)
    results, errors = [], []

    def complete_in_a_request():
        try:
            with app.app_context(), app.test_request_context():
                user, course_ = db.session.get(User, user_id), db.session.get(Course, course_id)
                results.append(certificates.issue_if_complete(user, course_) is not None)
                db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=complete_in_a_request) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(results) == [False] * (threads - 1) + [True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_the_certificate_is_a_snapshot(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
    course.title_en = "Renamed course"
    course.certificate_info = {**course.certificate_info, "issuer": {"ja": "別組織", "en": "Other body"}}
    trainee.name_latin, trainee.name_ja = "Changed Name", "変更 後"
    db.session.commit()
    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    assert (certificate.holder_name_latin, certificate.holder_name_ja) == ("Ken Sato", "佐藤 健")
    assert certificate.course_title_en == "Test course"
    assert certificate.issuer["issuer"]["en"] == "Kanagawa Institute of Industrial Science and Technology"
    assert certificate.completion["quizzes"][0]["percent"] == 90.0
    assert len(certificate.completion["assignments"]) == 1
    assert "Lessons completed: 3." in certificate.issuer["criteria"]["en"]
    assert "3" in certificate.issuer["criteria"]["ja"]


def test_revocation_needs_a_reason_is_recorded_and_an_admin_may_reissue(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        first = certificates.issue_if_complete(trainee, course)
        with pytest.raises(CertificateError):
            certificates.revoke(first, admin, "   ")
        certificates.revoke(first, admin, "Issued to the wrong person")
        with pytest.raises(CertificateError):
            certificates.revoke(first, admin, "twice")
        # Completing again does not bring a revoked certificate back by itself: the program office decides.
        assert certificates.issue_if_complete(trainee, course) is None
        [second] = certificates.issue(course, [trainee], admin).issued
    db.session.expire_all()
    first = db.session.get(Certificate, first.id)
    assert first.status(datetime.now(timezone.utc)) == "revoked"
    assert first.revoked_reason == "Issued to the wrong person" and first.revoked_by_id == admin.id
    assert second is not None and second.public_id != first.public_id
    assert [c.id for c in in_force(trainee, course)] == [second.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert event.actor_id == admin.id and event.details["reason"] == "Issued to the wrong person"
    kinds = list(db.session.scalars(select(Notification.kind).where(Notification.user_id == trainee.id)
                                    .order_by(Notification.id)))
    assert kinds == ["certificate_issued", "certificate_revoked", "certificate_issued"]


def test_validity_period_sets_an_expiry(app, tmp_path, trainee, monkeypatch):
    course = import_certified_course(tmp_path, extra="valid_months = 12")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    moment = datetime(2026, 2, 28, 23, 0, tzinfo=timezone.utc)
    monkeypatch.setattr("lms.clock.now", lambda: moment)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
    assert certificate.expires_at == datetime(2027, 2, 28, 23, 0, tzinfo=timezone.utc)
    assert certificate.status(moment + timedelta(days=364)) == "valid"
    assert certificate.status(moment + timedelta(days=366)) == "expired"


def test_add_months_keeps_to_the_end_of_short_months():
    moment = datetime(2026, 1, 31, tzinfo=timezone.utc)
    assert certificates.add_months(moment, 1) == datetime(2026, 2, 28, tzinfo=timezone.utc)
    assert certificates.add_months(moment, 13) == datetime(2027, 2, 28, tzinfo=timezone.utc)
    assert certificates.add_months(moment, 36) == datetime(2029, 1, 31, tzinfo=timezone.utc)


def test_minimum_quiz_score_from_the_course_file(app, tmp_path, trainee):
    course = import_certified_course(tmp_path, extra="min_quiz_score = 95")
    enrol_in(trainee, course)
    complete_everything(trainee, course)  # quiz passed with 90
    with app.test_request_context():
        state = certificates.standing(trainee, course)
        assert [r.code for r in state.reasons] == ["quiz_average"]
        assert certificates.issue_if_complete(trainee, course) is None


def test_required_steps_can_be_chosen(app, tmp_path, trainee):
    course = import_certified_course(tmp_path, extra='lessons = ["intro"]\nquizzes = "none"\nassignments = "none"')
    enrol_in(trainee, course)
    assert [r.code for r in certificates.standing(trainee, course).reasons] == ["lesson_not_done"]
    first = min(learning.get_course(course.slug).modules[0].lessons, key=lambda lesson: lesson.position)
    with app.test_request_context():
        learning.set_lesson_done(trainee, first, True)
        db.session.commit()
    assert len(in_force(trainee, course)) == 1


def test_standings_take_a_fixed_number_of_queries(app, tmp_path, make_user, count_queries):
    course = import_certified_course(tmp_path)
    few = [make_user("trainee") for _ in range(2)]
    many = few + [make_user("trainee") for _ in range(20)]
    for user in many:
        enrol_in(user, course)
        complete_everything(user, course)
    certificates.standings(course, few)  # the course outline is cached from here on, as on a busy server
    counts = []
    for group in (few, many):
        db.session.expire_all()
        users = list(db.session.scalars(select(User).where(User.id.in_([u.id for u in group]))))
        course = db.session.get(Course, course.id)
        with count_queries() as q:
            certificates.standings(course, users)
        counts.append(q.count)
    assert counts[0] == counts[1] <= 8


def test_opening_the_course_page_never_issues_nor_undoes_a_revocation(app, tmp_path, trainee, admin, make_client):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)  # rows written directly: no progress event was raised
    client = make_client()
    client.login(trainee)
    client.get(f"/courses/{course.slug}/")
    assert in_force(trainee, course) == []  # a page view writes nothing
    with app.test_request_context():
        unit_of_work.progress_changed(trainee.id, course.id)
        db.session.commit()
    [first] = in_force(trainee, course)
    with app.test_request_context():
        certificates.revoke(first, admin, "Plagiarism")
        db.session.commit()
    page = client.get(f"/courses/{course.slug}/").get_data(as_text=True)
    assert in_force(trainee, course) == []
    assert "program office" in page


def test_an_expired_certificate_can_be_renewed_by_an_admin(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path, issue="automatic", extra="valid_months = 12")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        first = certificates.issue_if_complete(trainee, course)
    first.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    state = certificates.standing(trainee, course)
    assert state.expired and state.current is None and state.eligible
    with app.test_request_context():
        assert certificates.issue_if_complete(trainee, course) is None  # renewal is not automatic
        report = certificates.issue(course, [trainee], admin)
        db.session.commit()
        again = certificates.issue(course, [trainee], admin)
        db.session.commit()
    [second] = report.issued
    assert again.already == 1 and not again.issued
    db.session.expire_all()
    old = db.session.get(Certificate, first.id)
    assert old.replaced_at is not None and old.status(datetime.now(timezone.utc)) == "expired"
    assert [c.id for c in in_force(trainee, course)] == [second.id]
    assert certificates.standing(trainee, course).current.id == second.id


def test_automatic_issue_is_recorded_as_the_systems_not_the_mentors(app, tmp_path, trainee, make_user):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    mentor = make_user("mentor")
    with app.test_request_context():
        from flask_login import login_user

        login_user(mentor)  # the mentor's approval is what completes the course
        certificates.issue_if_complete(trainee, course)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.actor_id is None and event.details["automatic"] is True


def test_expiry_and_linkedin_dates_are_tokyo_calendar_dates(app, tmp_path, trainee, monkeypatch):
    course = import_certified_course(tmp_path, extra="valid_months = 1")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    moment = datetime(2026, 1, 30, 16, 0, tzinfo=timezone.utc)  # 31 January, 01:00 in Tokyo
    monkeypatch.setattr("lms.clock.now", lambda: moment)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
        link = certificates.linkedin_url(certificate)
    tokyo = certificate.expires_at.astimezone(certificates.PROGRAM_TIMEZONE)
    assert (tokyo.month, tokyo.day) == (2, 28)
    assert "issueYear=2026&issueMonth=1&" in link and "expirationMonth=2" in link


def test_a_name_the_certificate_cannot_print_is_a_reason(app, tmp_path, make_user):
    course = import_certified_course(tmp_path)
    trainee = make_user("trainee", name_ja="\U00020bb7田 太郎", name_latin="Taro Yoshida")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    reasons = certificates.standing(trainee, course).reasons
    assert [(r.code, r.numbers) for r in reasons] == [("name_unprintable", ("\U00020bb7",))]
    with app.test_request_context():
        assert certificates.issue_if_complete(trainee, course) is None


def test_vietnamese_and_turkish_names_print(app, tmp_path, make_user):
    from lms.fonts import unprintable

    assert unprintable("Nguyễn Thị Hằng Gülşen Ğİ 山田 花子 髙橋") == ""


def test_the_pdf_link_ignores_a_forged_host_header(app, tmp_path, trainee):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
    with app.test_request_context("/", base_url="http://evil.example"):
        assert certificates.verify_url(certificate) == f"http://localhost/verify/{certificate.public_id}"


def test_issuer_and_revocation_list_outlive_the_certificate_table(app, tmp_path, trainee, client):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        certificates.issue_if_complete(trainee, course)
    course.certificate_info = {}
    db.session.commit()
    assert client.get(f"/api/v1/issuers/{course.slug}").get_json()["name"].startswith("Kanagawa")
    assert client.get(f"/api/v1/issuers/{course.slug}/revocations").status_code == 200


@pytest.mark.parametrize("limit, attempts, code", [
    (3, 2, "quiz_not_passed"),  # one attempt left
    (3, 3, "quiz_used_up"),  # every attempt used
    (3, 4, "quiz_used_up"),
    (1, 1, "quiz_used_up"),
    (0, 9, "quiz_not_passed"),  # unlimited attempts are never used up
])
def test_a_failed_quiz_is_used_up_exactly_when_every_attempt_is_spent(app, tmp_path, trainee, limit, attempts, code):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    finish_lessons(trainee, course)
    quiz = pass_quiz(trainee, course, percent=40.0, passed=False, attempts=attempts)
    quiz.max_attempts = limit
    approve_assignment(trainee, course)
    assert [r.code for r in certificates.standing(trainee, course).reasons] == [code]
