"""Certificate pages: the course page's reasons, my certificates, the PDF, verification, admin issuing."""

from __future__ import annotations

from pathlib import Path

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Certificate
from lms.services import certificate_pdf, certificates

from .helpers import complete_everything, enrol_in, finish_lessons, import_certified_course, new_cohort


@pytest.fixture
def world(app, tmp_path, make_user):
    course = import_certified_course(tmp_path, issue="admin")
    people = {
        "trainee": make_user("trainee", name_ja="佐藤 健", name_latin="Ken Sato", locale="ja"),
        "other": make_user("trainee"),
        "mentor": make_user("mentor"),
        "admin": make_user("admin", locale="en"),
    }
    enrol_in(people["trainee"], course)
    enrol_in(people["other"], course)
    people["course"] = course
    return people


def issue_to(world, user=None):
    user = user or world["trainee"]
    complete_everything(user, world["course"])
    report = certificates.issue(world["course"], [user], world["admin"])
    return report.issued[0]


def test_course_page_lists_what_is_missing_in_the_trainees_language(world, as_):
    client = as_(world["trainee"])
    finish_lessons(world["trainee"], world["course"])
    html = client.get(f"/courses/{world['course'].slug}/").get_data(as_text=True)
    assert "修了証" in html
    assert "小テスト「確認テスト」" in html and "まだ受験していません" in html
    assert "課題「" in html
    english = as_(world["other"]).get(f"/courses/{world['course'].slug}/").get_data(as_text=True)
    assert "Quiz “Check” has not been taken." in english
    assert "Lesson “Introduction” is not marked as complete." in english


def test_course_page_says_when_the_office_will_issue(world, as_):
    complete_everything(world["other"], world["course"])
    html = as_(world["other"]).get(f"/courses/{world['course'].slug}/").get_data(as_text=True)
    assert "The program office will issue your certificate" in html


def test_my_certificates_and_the_pdf(app, world, as_, monkeypatch):
    with app.test_request_context():
        certificate = issue_to(world)
    client = as_(world["trainee"])
    html = client.get("/certificates/").get_data(as_text=True)
    assert certificate.public_id in html
    assert f"/verify/{certificate.public_id}" in html
    assert "linkedin.com/profile/add?" in html and f"certId={certificate.public_id}" in html
    assert f"/certificates/{certificate.public_id}/credential.jwt" in html
    renders = []
    real_render = certificate_pdf.render
    monkeypatch.setattr(certificate_pdf, "render", lambda c, url: renders.append(url) or real_render(c, url))
    first = client.get(f"/certificates/{certificate.public_id}.pdf")
    second = client.get(f"/certificates/{certificate.public_id}.pdf?download=1")
    first_data, second_data = first.get_data(), second.get_data()
    first.close()
    second.close()
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf" and first_data.startswith(b"%PDF")
    # Rendered once by the job that followed the issue; the downloads are served from storage.
    assert first_data == second_data and renders == []
    db.session.refresh(certificate)
    assert certificate.pdf_name
    assert "attachment" in second.headers["Content-Disposition"]
    assert as_(world["other"]).get(f"/certificates/{certificate.public_id}.pdf").status_code == 404
    assert as_(world["mentor"]).get(f"/certificates/{certificate.public_id}.pdf").status_code == 404
    as_admin = as_(world["admin"]).get(f"/certificates/{certificate.public_id}.pdf")
    as_admin.close()
    assert as_admin.status_code == 200


def status_of(client, public_id):
    html = client.get(f"/verify/{public_id}").get_data(as_text=True)
    data = client.get(f"/api/v1/certificates/{public_id}").get_json()
    return html, data


def test_verification_valid_expired_revoked_and_unknown(app, world, client, monkeypatch):
    with app.test_request_context():
        certificate = issue_to(world)
    html, data = status_of(client, certificate.public_id)
    assert "この修了証は有効です" in html or "This certificate is valid." in html
    assert "Ken Sato" in html and "佐藤 健" in html
    assert data["status"] == "valid" and data["holder"]["name_latin"] == "Ken Sato"
    assert data["course"]["title"] == {"ja": "テストコース", "en": "Test course"}
    english = client.get(f"/verify/{certificate.public_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This certificate is valid." in english

    certificate.expires_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    html, data = status_of(client, certificate.public_id)
    assert data["status"] == "expired"

    with app.test_request_context():
        certificates.revoke(certificate, world["admin"], "Plagiarised assignment")
    html, data = status_of(client, certificate.public_id)
    assert data["status"] == "revoked" and data["revocation_reason"] == "Plagiarised assignment"
    assert data["revoked_at"].endswith("Z")
    assert "Plagiarised assignment" in html

    for unknown in ("A" * 24, "x", "no-such-id-at-all"):
        response = client.get(f"/verify/{unknown}")
        assert response.status_code == 404 and "Ken Sato" not in response.get_data(as_text=True)
        api = client.get(f"/api/v1/certificates/{unknown}")
        assert api.status_code == 404 and api.get_json() == {"error": "not found"}


def test_verification_is_rate_limited_per_address(app, world, client):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    codes = [client.get("/api/v1/certificates/unknown-id").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429], codes
    assert client.get("/verify/unknown-id").status_code == 429
    assert client.get("/api/v1/certificates/x", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404


def test_admin_lists_eligible_trainees_and_issues_after_confirming(app, world, as_):
    cohort = new_cohort(world["course"])
    complete_everything(world["trainee"], world["course"])
    db.session.add_all([])
    client = as_(world["admin"])
    html = client.get("/admin/certificates", query_string={"course": world["course"].slug, "show": "eligible"}
                      ).get_data(as_text=True)
    assert "Ken Sato" in html and f'name="user" value="{world["trainee"].id}"' in html
    assert world["other"].email not in html
    token = client.csrf_token("/admin/certificates")
    form = {"csrf_token": token, "course": world["course"].slug, "user": [str(world["trainee"].id)],
            "cohort": str(cohort.id), "show": "eligible"}
    confirm = client.post("/admin/certificates/issue", data=form)
    assert confirm.status_code == 200 and "Issue 1 certificate" in confirm.get_data(as_text=True)
    assert db.session.scalar(select(Certificate)) is None
    done = client.post("/admin/certificates/issue", data={**form, "confirm": "yes"})
    assert done.status_code == 302
    certificate = db.session.scalar(select(Certificate))
    assert certificate.user_id == world["trainee"].id and certificate.issued_by_id == world["admin"].id
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Issued 1 certificate." in page


def test_admin_list_filters_by_cohort(world, as_, make_user):
    cohort = new_cohort(world["course"])
    member = make_user("trainee", name_latin="Cohort Member")
    enrol_in(member, world["course"], cohort)
    html = as_(world["admin"]).get("/admin/certificates", query_string={
        "course": world["course"].slug, "cohort": cohort.id}).get_data(as_text=True)
    assert "Cohort Member" in html and "Ken Sato" not in html


def test_admin_list_runs_a_fixed_number_of_queries(world, as_, make_user, count_queries):
    client = as_(world["admin"])
    url = f"/admin/certificates?course={world['course'].slug}"
    client.get(url)  # the course outline is cached from here on, as on a busy server
    counts = []
    for extra in (0, 30):
        for _ in range(extra):
            user = make_user("trainee")
            enrol_in(user, world["course"])
            complete_everything(user, world["course"])
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_admin_revokes_with_a_reason(app, world, as_):
    with app.test_request_context():
        certificate = issue_to(world)
    client = as_(world["admin"])
    url = f"/admin/certificates/{certificate.public_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Revoke this certificate" in page
    token = client.csrf_token(url)
    refused = client.post(url, data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 200 and db.session.get(Certificate, certificate.id).revoked_at is None
    done = client.post(url, data={"csrf_token": token, "reason": "Wrong course"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_reason == "Wrong course"
    trainee_page = as_(world["trainee"]).get("/certificates/").get_data(as_text=True)
    assert "Wrong course" in trainee_page
    assert as_(world["trainee"]).get(f"/certificates/{certificate.public_id}.pdf").status_code == 404


@pytest.mark.parametrize("role", ["trainee", "mentor"])
def test_only_admins_issue_or_revoke(app, world, as_, role):
    with app.test_request_context():
        certificate = issue_to(world)
    client = as_(world[role])
    token = client.csrf_token("/certificates/")
    assert client.get("/admin/certificates").status_code == 403
    assert client.get(f"/admin/certificates/{certificate.public_id}").status_code == 403
    assert client.post(f"/admin/certificates/{certificate.public_id}",
                       data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert client.post("/admin/certificates/issue", data={
        "csrf_token": token, "course": world["course"].slug, "user": [str(world["other"].id)],
        "confirm": "yes"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    assert client.get("/admin/certificates").status_code == 302
    assert client.get("/certificates/").status_code == 302


def test_the_admin_user_page_lists_the_persons_certificates(app, world, as_):
    with app.test_request_context():
        certificate = issue_to(world)
    html = as_(world["admin"]).get(f"/admin/users/{world['trainee'].id}").get_data(as_text=True)
    assert f"/admin/certificates/{certificate.public_id}" in html


def test_page_json_and_credential_check_share_one_budget(app, world, client):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    assert client.get("/verify/unknown-id").status_code == 404
    assert client.get("/api/v1/certificates/unknown-id").status_code == 404
    assert client.post("/api/v1/credentials/verify", data="x.y.z").status_code == 400
    assert client.post("/api/v1/credentials/verify", data="x.y.z").status_code == 429


def test_before_the_render_job_the_pdf_is_rendered_on_the_fly_and_nothing_is_written(app, world, as_, monkeypatch):
    from lms.tasks import render_certificate_pdf

    monkeypatch.setattr(render_certificate_pdf, "enqueue_after_commit", lambda *args: None)  # the worker is late
    with app.test_request_context():
        certificate = issue_to(world)
    db.session.commit()
    storage_root = Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")
    storage_root.mkdir(parents=True, exist_ok=True)
    storage_root.chmod(0o500)  # unwritable: a download must still work
    try:
        response = as_(world["trainee"]).get(f"/certificates/{certificate.public_id}.pdf")
        data = response.get_data()
        response.close()
    finally:
        storage_root.chmod(0o700)
    assert response.status_code == 200 and data.startswith(b"%PDF")
    db.session.refresh(certificate)
    assert certificate.pdf_name is None
