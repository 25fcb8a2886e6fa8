"""Assignments end to end through the pages: drafts, uploads, submission, review, revision, approval."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.content.helpers import import_courses  # imports and commits, as the CLI does
from lms.extensions import db
from lms.models import (Assignment, Attachment, Cohort, CohortMember, Course, Enrolment, MentorAllocation, Notification,
                        Review, Submission, SubmissionEvent, SubmissionVersion)
from lms.services import assignments as service

from ..content.helpers import write_assignment, write_course

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
URL = "/courses/test-course/assignments/plan"


@pytest.fixture
def world(app, tmp_path, make_user):
    """A course with the assignment, a cohort with a trainee and a mentor, and people outside it."""
    root = tmp_path / "courses"
    write_assignment(write_course(root))
    import_courses(root)
    course = db.session.scalar(select(Course))
    people = {
        "trainee": make_user("trainee", locale="en"),
        "other_trainee": make_user("trainee"),
        "mentor": make_user("mentor", locale="en"),
        "other_mentor": make_user("mentor"),
        "admin": make_user("admin"),
    }
    cohort = Cohort(name_ja="一期", name_en="First", program="entrepreneur", starts_on=date(2026, 4, 1))
    cohort.courses.append(course)
    db.session.add(cohort)
    other = Cohort(name_ja="二期", name_en="Second", program="entrepreneur", starts_on=date(2026, 4, 1))
    other.courses.append(course)
    db.session.add(other)
    db.session.flush()
    db.session.add_all([
        CohortMember(cohort_id=cohort.id, user_id=people["trainee"].id, role="trainee"),
        CohortMember(cohort_id=cohort.id, user_id=people["mentor"].id, role="mentor"),
        CohortMember(cohort_id=other.id, user_id=people["other_trainee"].id, role="trainee"),
        CohortMember(cohort_id=other.id, user_id=people["other_mentor"].id, role="mentor"),
        Enrolment(user_id=people["trainee"].id, course_id=course.id, source="cohort"),
        Enrolment(user_id=people["other_trainee"].id, course_id=course.id, source="cohort"),
    ])
    db.session.commit()
    people["course"] = course
    people["assignment"] = db.session.scalar(select(Assignment))
    return people


def lock_of(user) -> str:
    submission = db.session.scalar(select(Submission).where(Submission.user_id == user.id))
    db.session.refresh(submission) if submission else None
    return str(submission.lock) if submission else ""


def save(client, user, problem="Who hurts", solution="What we do", action="save", files=(), lock=None):
    data = {"csrf_token": client.csrf_token(), "section-problem": problem, "section-solution": solution,
            "action": action, "lock": lock if lock is not None else lock_of(user)}
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.raw.post(URL, data=data, content_type="multipart/form-data")


def submission_of(user) -> Submission:
    db.session.expire_all()
    return db.session.scalar(select(Submission).where(Submission.user_id == user.id))


def review(client, submission, action="save", scores=None, comment="", section_comments=None, lock=None):
    db.session.refresh(submission)
    data = {"csrf_token": client.csrf_token(), "action": action, "comment": comment,
            "lock": str(lock if lock is not None else submission.lock)}
    for criterion, points in (scores or {}).items():
        data[f"score-{criterion}"] = str(points)
    for section, text in (section_comments or {}).items():
        data[f"section-comment-{section}"] = text
    return client.raw.post(f"/submissions/{submission.id}/review", data=data)


def as_text(message) -> str:
    return f"{message['To']}\n{message['Subject']}\n{message.get_content()}"


def uploads_dir(app) -> Path:
    return Path(app.instance_path) / "uploads"


def stored_files(app) -> list[Path]:
    folder = uploads_dir(app)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- the whole cycle


def test_write_submit_revise_resubmit_approve(world, as_, outbox, app):
    trainee, mentor = world["trainee"], world["mentor"]
    mentor.locale = "ja"  # mails and pages in each person's language: this mentor reads Japanese
    db.session.commit()
    t = as_(trainee)
    page = t.get(URL).get_data(as_text=True)
    assert "Business plan" in page and "Whose problem, and how big." in page and "Save and submit" in page

    assert save(t, trainee, problem="Clinics **lack** a test").status_code == 302
    page = t.get(URL).get_data(as_text=True)
    assert "Clinics **lack** a test" in page  # the textarea keeps the Markdown as typed
    assert "<strong>lack</strong>" in page  # the preview shows it rendered
    assert submission_of(trainee).state == "draft"

    assert save(t, trainee, problem="Clinics **lack** a test", action="submit").status_code == 302
    submission = submission_of(trainee)
    assert submission.state == "submitted" and submission.waiting_since is not None
    assert "Submitted" in t.get(URL).get_data(as_text=True)

    # The allocated mentor is told, in Japanese, in the app and by mail; nobody else is.
    assert db.session.scalar(select(Notification.user_id)) == mentor.id
    mails = [as_text(m) for m in outbox()]
    assert len(mails) == 1 and mentor.email in mails[0] and "レビュー" in mails[0]

    m = as_(mentor)
    queue = m.get("/reviews/").get_data(as_text=True)
    assert trainee.display_name in queue and f"/submissions/{submission.id}" in queue
    assert review(m, submission, comment="Draft thoughts", scores={"evidence": 1}).status_code == 302
    assert submission_of(trainee).state == "in_review"
    assert "Draft thoughts" not in t.get(URL).get_data(as_text=True)  # a draft review stays the mentor's

    assert review(m, submission, action="revise", comment="Add **interview** evidence", scores={"evidence": 1},
                  section_comments={"problem": "Which clinics?"}).status_code == 302
    assert submission_of(trainee).state == "revision_requested"
    page = t.get(URL).get_data(as_text=True)
    assert "<strong>interview</strong>" in page and "Which clinics?" in page and "Revise your work" in page
    # The section comment stands beside the field to revise, before anything is saved.
    form = page[page.index('class="assignment-form"'):]
    assert "Mentor comment on the previous version" in form and "Which clinics?" in form
    assert "Revision requested" in as_text(outbox()[-1]) and trainee.email in as_text(outbox()[-1])

    assert save(t, trainee, problem="Clinics in Kawasaki lack a test", action="submit").status_code == 302
    submission = submission_of(trainee)
    assert submission.state == "resubmitted"
    versions = db.session.scalars(select(SubmissionVersion).order_by(SubmissionVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].sections["problem"] == "Clinics **lack** a test"  # version 1 is frozen as it was

    review_page = m.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "第1版からの変更点" in review_page
    assert '<li class="removed"><del><span class="visually-hidden">削除： </span>Clinics **lack** a test</del></li>' \
        in review_page
    assert '<li class="added"><ins><span class="visually-hidden">追加： </span>Clinics in Kawasaki lack a test</ins></li>' \
        in review_page
    assert review(m, submission, action="approve", scores={"evidence": 2, "clarity": 2}, comment="Good").status_code == 302
    submission = submission_of(trainee)
    assert submission.state == "approved"
    assert db.session.scalar(select(Review.total).order_by(Review.id.desc())) == 4

    transitions = [(e.from_state, e.to_state) for e in db.session.scalars(
        select(SubmissionEvent).order_by(SubmissionEvent.at, SubmissionEvent.id))]
    assert transitions == [("draft", "submitted"), ("submitted", "in_review"), ("in_review", "revision_requested"),
                           ("revision_requested", "resubmitted"), ("resubmitted", "in_review"),
                           ("in_review", "approved")]
    timeline = t.get(URL).get_data(as_text=True)
    assert "Approved" in timeline and "Version 1, submitted" in timeline  # earlier versions stay readable

    course_page = t.get("/courses/test-course/").get_data(as_text=True)
    assert "1 of 4 steps done" in course_page  # 3 lessons and the assignment; the approval counts


def test_a_late_submission_is_marked_late(world, as_, monkeypatch):
    monkeypatch.setattr("lms.clock.now", lambda: datetime(2026, 4, 16, 1, 0, tzinfo=timezone.utc))  # due 15 Apr
    t = as_(world["trainee"])
    save(t, world["trainee"], action="submit")
    assert db.session.scalar(select(SubmissionVersion.late)) is True
    assert "Late" in t.get(URL).get_data(as_text=True)


def test_on_time_is_not_late(world, as_, monkeypatch):
    monkeypatch.setattr("lms.clock.now", lambda: datetime(2026, 4, 15, 14, 0, tzinfo=timezone.utc))
    save(as_(world["trainee"]), world["trainee"], action="submit")
    assert db.session.scalar(select(SubmissionVersion.late)) is False


# --- refusals and conflicts


def test_every_section_needs_text_before_submitting(world, as_):
    t = as_(world["trainee"])
    response = save(t, world["trainee"], solution="  ", action="submit")
    page = t.get(response.headers["Location"]).get_data(as_text=True)
    assert "Still empty: Solution" in page
    assert submission_of(world["trainee"]).state == "draft"
    assert "Who hurts" in page  # the draft was saved anyway


def test_submitting_twice_is_refused_and_changes_nothing(world, as_):
    t = as_(world["trainee"])
    save(t, world["trainee"], action="submit")
    stale_lock = "2"  # what the first page carried
    response = save(t, world["trainee"], problem="changed", action="submit", lock=stale_lock)
    assert response.status_code == 400
    assert "already been submitted" in response.get_data(as_text=True) or "can no longer be changed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SubmissionEvent.id))) == 1
    assert db.session.scalar(select(SubmissionVersion.sections))["problem"] == "Who hurts"


def test_a_stale_draft_from_another_tab_shows_the_typed_text_back(world, as_):
    t = as_(world["trainee"])
    save(t, world["trainee"], problem="first tab")
    response = save(t, world["trainee"], problem="second tab text", lock="1")  # loaded before the first save
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "second tab text" in page and "Someone else saved this submission" in page
    assert db.session.scalar(select(SubmissionVersion.sections))["problem"] == "first tab"


def test_two_mentors_reviewing_at_once_the_second_gets_a_conflict_and_keeps_their_text(world, as_, make_user):
    trainee = world["trainee"]
    second = make_user("mentor")
    db.session.add(MentorAllocation(mentor_id=second.id, trainee_id=trainee.id))
    db.session.commit()
    save(as_(trainee), trainee, action="submit")
    submission = submission_of(trainee)
    loaded = submission.lock  # both pages were opened now
    first, other = as_(world["mentor"]), as_(second)
    assert review(first, submission, comment="First mentor's view", lock=loaded).status_code == 302
    response = review(other, submission, comment="Second mentor's careful notes", action="revise",
                      scores={"evidence": 2}, lock=loaded)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Second mentor&#39;s careful notes" in page and "Someone else saved this submission" in page
    assert 'value="2" checked' in page  # their scores are shown back too
    assert db.session.scalar(select(Review.comment)) == "First mentor's view"
    assert submission_of(trainee).state == "in_review"


@pytest.mark.parametrize(("action", "scores", "comment", "message"), [
    ("approve", {"evidence": 2}, "", "Score every criterion before you approve."),
    ("approve", {"evidence": 1, "clarity": 0}, "", "below the 3 points needed to approve"),
    ("revise", {}, "   ", "Write an overall comment"),
])
def test_a_decision_the_rules_refuse_keeps_the_form(world, as_, action, scores, comment, message):
    save(as_(world["trainee"]), world["trainee"], action="submit")
    submission = submission_of(world["trainee"])
    response = review(as_(world["mentor"]), submission, action=action, scores=scores, comment=comment or "kept text")
    assert response.status_code == 422 and message in response.get_data(as_text=True)  # invalid, not a conflict
    assert submission_of(world["trainee"]).state == "submitted"
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_a_section_that_is_too_long_is_invalid_and_shown_back(world, as_):
    from lms.services.assignments import MAX_SECTION_TEXT

    response = save(as_(world["trainee"]), world["trainee"], problem="x" * (MAX_SECTION_TEXT + 1))
    assert response.status_code == 422
    assert "A section is longer than" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SubmissionVersion.id))) == 0


def test_scores_that_are_not_levels_are_ignored_and_the_total_is_computed_on_the_server(world, as_):
    save(as_(world["trainee"]), world["trainee"], action="submit")
    submission = submission_of(world["trainee"])
    review(as_(world["mentor"]), submission, scores={"evidence": 99, "clarity": 2}, comment="x")
    saved = db.session.scalar(select(Review))
    assert saved.scores == {"clarity": 2} and saved.total == 2


def running_total(html: str) -> tuple[str, str]:
    """The grading view's total box: (points, status sentence)."""
    points = re.search(r'class="grading-total-points">(\d+)<', html).group(1)
    status = re.search(r'class="grading-total-status" role="status">([^<]*)<', html).group(1)
    return points, status


def test_the_grading_view_shows_the_running_total_and_the_pass_mark_without_javascript(world, as_):
    save(as_(world["trainee"]), world["trainee"], action="submit")
    submission = submission_of(world["trainee"])
    mentor = as_(world["mentor"])
    html = mentor.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert running_total(html) == ("0", "Not every criterion is scored yet.")
    assert "Pass mark: 3 points" in html and 'data-enough="Enough to approve."' in html  # the script's texts
    # Refused (below the pass mark): the levels picked are shown back with their total.
    html = review(mentor, submission, action="approve", scores={"evidence": 1, "clarity": 0}).get_data(as_text=True)
    assert running_total(html) == ("1", "Below the pass mark: not enough to approve.")
    review(mentor, submission, scores={"evidence": 99, "clarity": 2})  # a draft; 99 is no level
    html = mentor.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert running_total(html) == ("2", "Not every criterion is scored yet.")
    # Each section's comment box sits in that section's block, beside the trainee's text.
    for section in ("problem", "solution"):
        block = html.split(f'id="section-comment-{section}"')[0].rsplit('<section class="grading-section">', 1)[1]
        assert 'class="grading-section-text"' in block


def test_a_mentors_notice_stops_being_new_once_the_review_is_done(world, as_, make_user):
    """Issue 13 §5 item 12: the 'submitted' notice is done when any allocated mentor releases the review."""
    second = make_user("mentor", locale="en")
    cohort = db.session.scalar(select(CohortMember.cohort_id).where(CohortMember.user_id == world["mentor"].id))
    db.session.add(CohortMember(cohort_id=cohort, user_id=second.id, role="mentor"))
    db.session.commit()
    save(as_(world["trainee"]), world["trainee"], action="submit")
    submission = submission_of(world["trainee"])
    mentor, other = as_(world["mentor"]), as_(second)
    for client in (mentor, other):
        assert "<strong>New</strong>" in client.get("/notifications/").get_data(as_text=True)
    review(mentor, submission, action="revise", scores={"evidence": 1, "clarity": 0}, comment="Add evidence.")
    for client in (mentor, other):
        html = client.get("/notifications/").get_data(as_text=True)
        assert "<strong>New</strong>" not in html and 'class="unread"' not in html
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id.in_((world["mentor"].id, second.id)), Notification.read_at.is_(None))) == 0


def test_a_review_after_approval_is_refused(world, as_):
    save(as_(world["trainee"]), world["trainee"], action="submit")
    submission = submission_of(world["trainee"])
    m = as_(world["mentor"])
    review(m, submission, action="approve", scores={"evidence": 2, "clarity": 2})
    response = review(m, submission, action="revise", comment="Too late")
    assert response.status_code == 409 and "not waiting for a review" in response.get_data(as_text=True)
    assert submission_of(world["trainee"]).state == "approved"


# --- uploads


def test_a_valid_pdf_is_stored_and_served_as_an_attachment(world, as_, app):
    trainee = world["trainee"]
    t = as_(trainee)
    response = save(t, trainee, files=[("事業計画.pdf", PDF)])
    assert "Attached “事業計画.pdf”" in t.get(response.headers["Location"]).get_data(as_text=True)
    attachment = db.session.scalar(select(Attachment))
    assert attachment.original_name == "事業計画.pdf" and attachment.file_type == "pdf"
    assert len(stored_files(app)) == 1 and stored_files(app)[0].name == attachment.stored_name
    download = t.get(f"/attachments/{attachment.id}")
    body = download.get_data()
    download.close()
    assert download.status_code == 200 and body == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E4%BA%8B" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("plan.pdf", b"<html><script>alert(1)</script></html>", "does not match its extension"),
    ("plan.docx", b"%PDF-1.4 pretending", "does not match its extension"),
    ("big.pdf", PDF + b"0" * 2000, "larger than allowed"),  # the limit is lowered to 1,000 bytes below
    ("../../../etc/plan.pdf", PDF, "file name is not allowed"),
    ("plan.html.pdf", PDF, "second extension"),
    ("tool.exe", b"MZ", "type of file is not accepted"),
    ("sheet.xlsx", docx_bytes(), "type of file is not accepted"),  # xlsx is not allowed for this assignment
    ("empty.pdf", b"", "The file is empty"),
])
def test_bad_uploads_are_refused_with_nothing_stored(world, as_, app, name, content, reason):
    # A small limit keeps the test's request body small (the test client spools big bodies to temp files).
    world["assignment"].max_bytes = 1000
    db.session.commit()
    t = as_(world["trainee"])
    response = save(t, world["trainee"], problem="My text", files=[(name, content)])
    page = t.get(response.headers["Location"]).get_data(as_text=True)
    assert reason in page
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert stored_files(app) == []
    assert "My text" in page  # the text was not lost with the file


def test_a_real_docx_is_accepted(world, as_):
    t = as_(world["trainee"])
    save(t, world["trainee"], files=[("plan.docx", docx_bytes())])
    assert db.session.scalar(select(Attachment.file_type)) == "docx"


def test_too_many_files(world, as_, app):
    t = as_(world["trainee"])
    response = save(t, world["trainee"], files=[("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF)])
    assert "Too many files" in t.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attachment.id))) == 2
    assert len(stored_files(app)) == 2


def test_a_failed_commit_leaves_no_file(world, as_, app, monkeypatch):
    def broken_commit():
        raise RuntimeError("database went away")
    t = as_(world["trainee"])
    save(t, world["trainee"])  # the draft exists
    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        save(t, world["trainee"], files=[("a.pdf", PDF)])
    monkeypatch.undo()
    db.session.rollback()
    assert stored_files(app) == []
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_removing_a_draft_file_deletes_it_unless_a_submitted_version_keeps_it(world, as_, app):
    trainee = world["trainee"]
    t = as_(trainee)
    save(t, trainee, files=[("a.pdf", PDF)])
    first = db.session.scalar(select(Attachment))
    response = t.post_form(f"/attachments/{first.id}/remove", {"lock": lock_of(trainee)})
    assert response.status_code == 302 and stored_files(app) == []

    save(t, trainee, files=[("b.pdf", PDF)], action="submit")
    submission = submission_of(trainee)
    review(as_(world["mentor"]), submission, action="revise", comment="More")
    save(t, trainee)  # version 2 starts with a copy of b.pdf
    copy = db.session.scalars(select(Attachment).order_by(Attachment.id.desc())).first()
    t.post_form(f"/attachments/{copy.id}/remove", {"lock": lock_of(trainee)})
    assert len(stored_files(app)) == 1  # version 1 still has it
    original = db.session.scalar(select(Attachment))
    assert t.post_form(f"/attachments/{original.id}/remove", {"lock": lock_of(trainee)}).status_code == 302
    assert db.session.get(Attachment, original.id) is not None  # a submitted version keeps its files


# --- who sees what


def test_authorization_matrix(world, as_, client):
    trainee = world["trainee"]
    t = as_(trainee)
    save(t, trainee, files=[("a.pdf", PDF)], action="submit")
    submission = submission_of(trainee)
    attachment = db.session.scalar(select(Attachment))
    routes = {"review": f"/submissions/{submission.id}", "file": f"/attachments/{attachment.id}"}
    expected = {
        "trainee": {"review": 302, "file": 200},  # the owner reads it on the assignment page
        "other_trainee": {"review": 404, "file": 404},
        "mentor": {"review": 200, "file": 200},
        "other_mentor": {"review": 404, "file": 404},
        "admin": {"review": 200, "file": 200},
    }
    for who, codes in expected.items():
        c = as_(world[who])
        for route, code in codes.items():
            response = c.get(routes[route])
            response.close()
            assert response.status_code == code, (who, route)
    for route in routes.values():
        assert client.get(route).status_code == 302  # anonymous: to the login page
        assert "/auth/login" in client.get(route).headers["Location"]
    # Posting a review is for reviewers only; nothing changes for the others.
    for who in ("trainee", "other_trainee", "other_mentor"):
        response = review(as_(world[who]), submission, action="approve", scores={"evidence": 2, "clarity": 2})
        assert response.status_code in (403, 404), who
    assert submission_of(trainee).state == "submitted"
    assert as_(world["other_mentor"]).get("/reviews/").get_data(as_text=True).count("/submissions/") == 0


def test_a_draft_is_invisible_to_mentors(world, as_):
    save(as_(world["trainee"]), world["trainee"], files=[("a.pdf", PDF)])
    submission = submission_of(world["trainee"])
    attachment = db.session.scalar(select(Attachment))
    m = as_(world["mentor"])
    assert m.get(f"/submissions/{submission.id}").status_code == 404
    assert m.get(f"/attachments/{attachment.id}").status_code == 404
    assert "/submissions/" not in m.get("/reviews/").get_data(as_text=True)


def test_a_trainee_cannot_touch_anothers_attachment(world, as_):
    save(as_(world["trainee"]), world["trainee"], files=[("a.pdf", PDF)])
    attachment = db.session.scalar(select(Attachment))
    other = as_(world["other_trainee"])
    assert other.post_form(f"/attachments/{attachment.id}/remove", {"lock": "2"}).status_code == 404
    assert db.session.get(Attachment, attachment.id) is not None


def test_not_enrolled_trainees_cannot_write(world, as_, make_user):
    stranger = as_(make_user("trainee"))
    assert stranger.get(URL).status_code == 403
    assert stranger.post_form(URL, {"section-problem": "x", "action": "save"}).status_code == 403
    assert db.session.scalar(select(func.count(Submission.id))) == 0


def test_the_queue_and_review_need_the_mentor_role(world, as_):
    t = as_(world["trainee"])
    assert t.get("/reviews/").status_code == 403


# --- the queue


def seed_submissions(world, make_user, count):
    course, assignment, mentor = world["course"], world["assignment"], world["mentor"]
    base = datetime(2026, 4, 2, tzinfo=timezone.utc)
    for n in range(count):
        trainee = make_user("trainee")
        db.session.add(MentorAllocation(mentor_id=mentor.id, trainee_id=trainee.id))
        state = ("submitted", "resubmitted", "in_review", "approved")[n % 4]
        submission = Submission(assignment_id=assignment.id, user_id=trainee.id, course_id=course.id, state=state,
                                waiting_since=base + timedelta(hours=count - n))
        db.session.add(submission)
        db.session.flush()
        db.session.add(SubmissionVersion(submission_id=submission.id, number=1, sections={}, sections_html={},
                                         submitted_at=base))
    db.session.commit()


def test_the_queue_is_oldest_first_with_counts_and_filters(world, as_, make_user):
    seed_submissions(world, make_user, 8)
    m = as_(world["mentor"])
    page = m.get("/reviews/").get_data(as_text=True)
    queue = service.review_queue(world["mentor"], service.QueueFilters(), 1)
    waiting = [row.submission.waiting_since for row in queue.page.items]
    assert waiting == sorted(waiting) and len(waiting) == 6  # approved ones are not waiting
    assert queue.counts == {"submitted": 2, "resubmitted": 2, "in_review": 2, "approved": 2}
    assert "Approved" in page
    approved = service.review_queue(world["mentor"], service.QueueFilters(state="approved"), 1)
    assert {row.submission.state for row in approved.page.items} == {"approved"}
    other_course = service.review_queue(world["mentor"], service.QueueFilters(course_id=world["course"].id + 99), 1)
    assert other_course.page.items == [] and other_course.counts == {}


def test_the_queue_paginates(world, as_, make_user, monkeypatch):
    monkeypatch.setattr(service, "QUEUE_PAGE_SIZE", 3)
    seed_submissions(world, make_user, 8)
    first = service.review_queue(world["mentor"], service.QueueFilters(), 1)
    second = service.review_queue(world["mentor"], service.QueueFilters(), 2)
    assert len(first.page.items) == 3 and len(second.page.items) == 3 and first.page.pages == 2
    assert {r.submission.id for r in first.page.items}.isdisjoint({r.submission.id for r in second.page.items})
    assert service.review_queue(world["mentor"], service.QueueFilters(), 99).page.page == 2


def test_queue_query_count_is_constant(world, as_, make_user, count_queries):
    m = as_(world["mentor"])
    counts = []
    for more in (2, 20):
        seed_submissions(world, make_user, more)
        with count_queries() as q:
            assert m.get("/reviews/").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_review_page_query_count_is_constant(world, as_, count_queries):
    trainee = world["trainee"]
    t, m = as_(trainee), as_(world["mentor"])
    counts = []
    for round_ in range(2):
        save(t, trainee, problem=f"round {round_}", action="submit", files=[(f"f{round_}.pdf", PDF)])
        submission = submission_of(trainee)
        with count_queries() as q:
            assert m.get(f"/submissions/{submission.id}").status_code == 200
        counts.append(q.count)
        review(m, submission, action="revise", comment="again")
    assert counts[0] == counts[1], counts


# --- notifications


def test_notifications_list_and_unread_count(world, as_):
    world["mentor"].locale = "ja"
    db.session.commit()
    save(as_(world["trainee"]), world["trainee"], action="submit")
    m = as_(world["mentor"])
    header = m.get("/dashboard").get_data(as_text=True)
    assert 'class="count-badge">1<' in header
    page = m.get("/notifications/").get_data(as_text=True)
    assert "が「事業計画」を提出しました" in page  # the mentor reads Japanese
    notification = db.session.scalar(select(Notification))
    assert m.get(f"/notifications/{notification.id}").status_code == 405  # opening marks it read: a POST
    response = m.post_form(f"/notifications/{notification.id}")
    assert response.headers["Location"].endswith(f"/submissions/{submission_of(world['trainee']).id}")
    assert 'class="count-badge"' not in m.get("/dashboard").get_data(as_text=True)
    assert as_(world["other_mentor"]).post_form(f"/notifications/{notification.id}").status_code == 404


def test_a_released_review_marks_the_mentors_notice_done(world, as_):
    save(as_(world["trainee"]), world["trainee"], action="submit")
    m = as_(world["mentor"])
    assert 'class="count-badge">1<' in m.get("/dashboard").get_data(as_text=True)
    submission = submission_of(world["trainee"])
    review(m, submission, action="revise", comment="Say more about the market")
    assert 'class="count-badge"' not in m.get("/dashboard").get_data(as_text=True)


# --- cross-site scripting


XSS = '<script>alert(1)</script><img src=x onerror=alert(2)> [link](javascript:alert(3)) <a href="data:text/html,x">d</a>'


def test_submitted_text_and_comments_come_out_inert(world, as_):
    trainee = world["trainee"]
    t = as_(trainee)
    save(t, trainee, problem=XSS, solution=XSS, action="submit")
    submission = submission_of(trainee)
    m = as_(world["mentor"])
    review(m, submission, action="revise", comment=XSS, section_comments={"problem": XSS})
    for page in (t.get(URL).get_data(as_text=True), m.get(f"/submissions/{submission.id}").get_data(as_text=True)):
        assert "<script>alert" not in page and "onerror=" not in page.replace("onerror=alert(2)&gt;", "")
        assert 'href="javascript:' not in page and 'href="data:' not in page


def test_the_queue_and_the_permission_check_agree_on_allocation(world, make_user):
    """The queue's IN-list form of the allocation rule selects exactly what the per-row check allows."""
    from sqlalchemy import literal

    from lms.models import MentorAllocation
    from lms.services.allocation import allocated_to, allocation_clause

    direct = make_user("trainee")
    db.session.add(MentorAllocation(mentor_id=world["other_mentor"].id, trainee_id=direct.id))
    db.session.commit()
    course_id = world["course"].id
    pairs = [(t.id, course_id) for t in (world["trainee"], world["other_trainee"], direct)] + [(world["trainee"].id, 999)]
    for mentor in (world["mentor"], world["other_mentor"], world["admin"]):
        for trainee_id, course in pairs:
            per_row = db.session.scalar(select(allocation_clause(mentor.id, trainee_id, course)))
            in_list = db.session.scalar(select(allocated_to(mentor.id, literal(trainee_id), literal(course))))
            assert bool(per_row) == bool(in_list), (mentor.email, trainee_id, course)
    def allocated(mentor, trainee):
        return db.session.scalar(select(allocated_to(mentor.id, literal(trainee.id), literal(course_id))))

    assert allocated(world["mentor"], world["trainee"]) and not allocated(world["mentor"], world["other_trainee"])
    assert allocated(world["other_mentor"], direct)


def test_a_trainee_who_is_also_a_mentor_never_sees_their_own_work_in_the_queue(world, as_, make_user):
    """In an "every mentor" cohort, a person who is both trainee and mentor reviews the others, never themself."""
    both = make_user(("trainee", "mentor"))
    cohort = db.session.scalar(select(Cohort).where(Cohort.name_en == "First"))
    db.session.add_all([
        CohortMember(cohort_id=cohort.id, user_id=both.id, role="trainee"),
        CohortMember(cohort_id=cohort.id, user_id=both.id, role="mentor"),
        Enrolment(user_id=both.id, course_id=world["course"].id, source="cohort"),
    ])
    db.session.commit()
    save(as_(world["trainee"]), world["trainee"], action="submit")
    b = as_(both)
    assert save(b, both, action="submit").status_code == 302
    own, other = submission_of(both), submission_of(world["trainee"])
    assert own.state == "submitted" and not service.can_review(both, own)
    queue = service.review_queue(both, service.QueueFilters(), 1)
    assert [row.submission.id for row in queue.page.items] == [other.id]
    assert queue.counts == {"submitted": 1} and queue.page.total == 1
    page = b.get("/reviews/").get_data(as_text=True)
    assert f"/submissions/{other.id}" in page and f"/submissions/{own.id}" not in page
    # The same for an admin who is also a trainee: an admin's queue is everything but their own work.
    both.is_admin = True
    db.session.commit()
    mine = service.review_queue(both, service.QueueFilters(), 1)
    assert own.id not in {row.submission.id for row in mine.page.items}


def test_a_review_by_someone_not_allowed_is_refused_by_the_service_and_is_a_404_not_a_500(world, as_, monkeypatch):
    """The service refuses with its own error; the page turns it into a 404 even when the view's check passed
    a moment earlier (the allocation was withdrawn by another request in between)."""
    trainee, mentor = world["trainee"], world["mentor"]
    save(as_(trainee), trainee, action="submit")
    submission = submission_of(trainee)
    data = service.ReviewInput(scores={}, comment="", section_comments={}, decision=None)
    with pytest.raises(service.NotAllowed) as refused:
        service.save_review(world["other_mentor"], submission, data, submission.lock)
    assert not isinstance(refused.value, OSError)  # not the builtin PermissionError
    db.session.rollback()

    real = service.can_review
    calls = []

    def withdrawn_after_first_check(user, sub):
        calls.append(user.id)
        return real(user, sub) if len(calls) == 1 else False

    m = as_(mentor)
    monkeypatch.setattr(service, "can_review", withdrawn_after_first_check)
    response = review(m, submission, action="approve", scores={"evidence": 2, "clarity": 2})
    assert len(calls) == 2 and response.status_code == 404
    assert submission_of(trainee).state == "submitted"
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_a_section_diff_shows_each_line_kept_removed_or_added_in_reading_order():
    from lms.services.assignments import section_diff

    old = "Market: 10,000 patients\nPrice: unknown\nPartner: none"
    new = "Market: 10,000 patients\nPrice: ¥1.2M per year\nPartner: none\nRisks: listed"
    assert [(line.op, line.text) for line in section_diff(old, new)] == [
        ("same", "Market: 10,000 patients"),
        ("removed", "Price: unknown"), ("added", "Price: ¥1.2M per year"),
        ("same", "Partner: none"),
        ("added", "Risks: listed"),
    ]
    assert section_diff("", "") == [] and [line.op for line in section_diff(None, "a")] == ["added"]
