"""Review findings for the completion-certificate feature: each test fails while the defect exists."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import AuditEvent, Certificate, Course, Submission, User
from lms.services import certificates, credentials, learning

from tests.certificates.helpers import (approve_assignment, complete_everything, enrol_in, finish_lessons,
                                        import_certified_course, pass_quiz)


@pytest.fixture
def trainee(make_user):
    return make_user("trainee", name_ja="佐藤 健", name_latin="Ken Sato", locale="en")


@pytest.fixture
def admin(make_user):
    return make_user("admin", locale="en")


@pytest.fixture
def as_(make_client):
    def login(user):
        client = make_client()
        client.login(user)
        return client
    return login


def in_force(user, course):
    return list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.revoked_at.is_(None))))


# 1. An admin's revocation is undone by the next page view in an automatic course.
def test_revocation_is_not_undone_by_the_holder_opening_the_course_page(app, tmp_path, trainee, admin, as_):
    course = import_certified_course(tmp_path)  # issue = "automatic"
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        first = certificates.issue_if_complete(trainee, course)
        certificates.revoke(first, admin, "Plagiarised assignment")
    assert in_force(trainee, course) == []
    as_(trainee).get(f"/courses/{course.slug}/")
    db.session.expire_all()
    assert in_force(trainee, course) == [], "revoked certificate silently re-issued by a GET of the course page"


def test_revocation_is_not_undone_by_toggling_a_lesson(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    last = finish_lessons(trainee, course)
    pass_quiz(trainee, course)
    approve_assignment(trainee, course)
    with app.test_request_context():
        first = certificates.issue_if_complete(trainee, course)
        certificates.revoke(first, admin, "Identity fraud")
        learning.set_lesson_done(trainee, last, False)
        learning.set_lesson_done(trainee, last, True)
    db.session.expire_all()
    assert in_force(trainee, course) == []


# 2. Certificates of a course whose [certificate] table was later removed: their credentialStatus and issuer 404.
def test_old_credentials_keep_a_resolvable_status_list_and_issuer(app, tmp_path, trainee, client):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
        credential = credentials.build_credential(certificate)
    course.certificate_info = {}
    course.completion_rules = {}
    db.session.commit()
    status_path = credential["credentialStatus"]["statusListCredential"].split("localhost", 1)[1]
    issuer_path = credential["issuer"]["id"].split("localhost", 1)[1]
    assert client.get(status_path).status_code == 200, "revocation list of issued credentials disappeared"
    assert client.get(issuer_path).status_code == 200, "issuer profile of issued credentials disappeared"


# 3. An expired certificate still counts as "in force": no renewal, and the trainee is told they hold it.
def test_expired_certificate_does_not_block_a_new_one(app, tmp_path, trainee, admin):
    course = import_certified_course(tmp_path, issue="admin", extra="valid_months = 12")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        first = certificates.issue(course, [trainee], admin).issued[0]
    first.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    state = certificates.standing(trainee, course)
    assert state.certificate is None, "an expired certificate is treated as in force"


def test_course_page_does_not_call_an_expired_certificate_earned_without_saying_so(app, tmp_path, trainee, admin, as_):
    course = import_certified_course(tmp_path, issue="admin", extra="valid_months = 12")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        first = certificates.issue(course, [trainee], admin).issued[0]
    first.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    html = as_(trainee).get(f"/courses/{course.slug}/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "You earned the certificate" not in html or "xpired" in html


# 4. Automatic issue is audited as done by whoever happened to trigger it (e.g. the mentor approving).
def test_automatic_issue_is_not_attributed_to_the_mentor(app, tmp_path, trainee, make_user):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    mentor = make_user("mentor")
    finish_lessons(trainee, course)
    pass_quiz(trainee, course)
    approve_assignment(trainee, course)
    from flask_login import login_user
    with app.test_request_context():
        login_user(mentor)
        certificates.issue_if_complete(trainee, course)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.details["automatic"] is True
    assert event.actor_id is None, f"automatic issue recorded with actor {event.actor_id} (the mentor)"


# 5. LinkedIn issue month is the UTC month, while the certificate shows the Tokyo date.
def test_linkedin_issue_month_matches_the_printed_tokyo_date(app, tmp_path, trainee, monkeypatch):
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    moment = datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)  # 1 April 2026, 05:00 in Tokyo
    monkeypatch.setattr(certificates, "clock", lambda: moment)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
        url = certificates.linkedin_url(certificate)
    assert "issueMonth=4" in url, url


# 6. Validity is counted in UTC months: issued 31 Jan (Tokyo) + 1 month prints "valid until 1 March".
def test_expiry_is_a_calendar_month_in_tokyo(app, tmp_path, trainee, monkeypatch):
    from lms.services.certificate_pdf import _date_en
    course = import_certified_course(tmp_path, extra="valid_months = 1")
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    moment = datetime(2026, 1, 30, 16, 0, tzinfo=timezone.utc)  # 31 January 2026, 01:00 in Tokyo
    monkeypatch.setattr(certificates, "clock", lambda: moment)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
    assert _date_en(certificate.issued_at) == "31 January 2026"
    assert _date_en(certificate.expires_at) == "28 February 2026", _date_en(certificate.expires_at)


# 7. Names the bundled font cannot draw are silently dropped from the PDF (Vietnamese letters, 𠮷).
@pytest.mark.parametrize("name_ja, name_latin", [("𠮷田 太郎", "Taro Yoshida"), ("", "Nguyễn Thị Hằng")])
def test_pdf_never_drops_letters_of_the_holders_name(app, name_ja, name_latin):
    import io

    import pypdf

    from lms.services import certificate_pdf
    certificate = Certificate(public_id="abc", holder_name_ja=name_ja, holder_name_latin=name_latin,
                              course_slug="x", course_title_ja="テスト", course_title_en="Test", program="regulatory",
                              issuer={}, completion={}, issued_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    text = pypdf.PdfReader(io.BytesIO(certificate_pdf.render(certificate, "https://lms.example/verify/abc"))) \
        .pages[0].extract_text()
    assert name_latin in text and name_ja in text, text


# 8. The verify URL in the PDF (QR code and text) comes from the Host header of whoever renders it first,
#    and is then cached for everyone.
def test_cached_pdf_does_not_carry_a_request_host(app, tmp_path, trainee, admin, as_, monkeypatch):
    from lms.services import certificate_pdf
    course = import_certified_course(tmp_path)
    enrol_in(trainee, course)
    complete_everything(trainee, course)
    with app.test_request_context():
        certificate = certificates.issue_if_complete(trainee, course)
    urls = []
    real = certificate_pdf.render
    monkeypatch.setattr(certificate_pdf, "render", lambda c, url: urls.append(url) or real(c, url))
    response = as_(trainee).get(f"/certificates/{certificate.public_id}.pdf", base_url="http://evil.example")
    response.close()
    assert response.status_code == 200
    assert not urls[0].startswith("http://evil.example"), urls[0]
