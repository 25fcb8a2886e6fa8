"""Rubric gates through the pages: the mentor sees which criteria gate, approval below a gate is refused (422, what
was typed kept), the trainee reads why a revision was requested; the calibration exemplar is for mentors and admins."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Assignment, Enrolment, Review

from tests.content.helpers import assignment_toml, import_courses, write_assignment

from .test_assignments import URL, review, save, submission_of, world  # noqa: F401 (world is a fixture)

EXEMPLAR_URL = URL + "/exemplar"
EXEMPLAR_TEXT = "The exemplar answer, for mentors only."
EVIDENCE = 'title = { ja = "根拠", en = "Evidence" }'


@pytest.fixture
def gated(world, tmp_path):
    """The world's assignment with "Evidence" gated at 2 points (its top level), re-imported in place."""
    toml = assignment_toml().replace(EVIDENCE, f"{EVIDENCE}\nmin_level = 2")
    write_assignment(tmp_path / "courses" / "test-course", toml=toml)
    import_courses(tmp_path / "courses")
    return world


def submitted(world, as_):
    save(as_(world["trainee"]), world["trainee"], action="submit")
    return submission_of(world["trainee"])


def test_the_review_page_marks_the_gating_criterion(gated, as_):
    submission = submitted(gated, as_)
    page = as_(gated["mentor"]).get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert page.count("Approval needs at least 2 points") == 1
    legend = page[page.index("<legend>Evidence"):page.index("</legend>", page.index("<legend>Evidence"))]
    assert "Approval needs at least 2 points" in legend


def test_approval_below_a_gate_is_refused_naming_the_criterion_and_keeps_the_form(gated, as_):
    submission = submitted(gated, as_)
    # 1 + 2 = 3 reaches pass_points (3), but Evidence is below its minimum of 2.
    response = review(as_(gated["mentor"]), submission, action="approve", scores={"evidence": 1, "clarity": 2},
                      comment="Typed and kept")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "These criteria are below the lowest level that may be approved: Evidence (1; at least 2 points needed)" in page
    assert "Typed and kept" in page and 'name="score-evidence" value="1" checked' in page
    assert submission_of(gated["trainee"]).state == "submitted"
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_the_gate_and_the_total_both_apply(gated, as_):
    submission = submitted(gated, as_)
    mentor = as_(gated["mentor"])
    response = review(mentor, submission, action="approve", scores={"evidence": 2, "clarity": 0})
    assert response.status_code == 422 and "below the 3 points needed to approve" in response.get_data(as_text=True)
    assert review(mentor, submission, action="approve", scores={"evidence": 2, "clarity": 2}).status_code == 302
    assert submission_of(gated["trainee"]).state == "approved"


def test_the_trainee_reads_why_a_revision_was_requested(gated, as_):
    submission = submitted(gated, as_)
    review(as_(gated["mentor"]), submission, action="revise", scores={"evidence": 1, "clarity": 2},
           comment="Please cite the numbers.")
    page = as_(gated["trainee"]).get(URL).get_data(as_text=True)
    assert "Below the lowest level that may be approved:" in page
    assert "Evidence: 1 of at least 2 points" in page
    assert "Please cite the numbers." in page


def test_the_trainee_sees_the_gates_before_writing(gated, as_):
    page = as_(gated["trainee"]).get(URL).get_data(as_text=True)
    assert "Approval needs at least 2 points" in page  # beside Evidence in the rubric
    assert "in every criterion marked in the rubric below, at least its minimum" in page


def test_without_gates_nothing_is_marked(world, as_):
    page = as_(world["trainee"]).get(URL).get_data(as_text=True)
    assert "Approval needs at least" not in page and "3 of 4 rubric points" in page


# --- the calibration exemplar


@pytest.mark.parametrize(("who", "status"), [
    ("mentor", 200), ("other_mentor", 200), ("admin", 200), ("trainee", 403), ("other_trainee", 403),
])
def test_the_exemplar_is_for_mentors_and_admins_only(world, as_, who, status):
    response = as_(world[who]).get(EXEMPLAR_URL)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert (EXEMPLAR_TEXT in page) == (status == 200)
    if status == 200:
        assert "Every figure has a source." in page and "A calibration note." in page
        assert "4 of 4 points (3 needed)" in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(EXEMPLAR_URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_trainees_never_meet_the_exemplar_anywhere(world, as_):
    submission = submitted(world, as_)
    mentor, trainee = as_(world["mentor"]), as_(world["trainee"])
    review_page = mentor.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert EXEMPLAR_URL in review_page  # the mentor's way to it
    review(mentor, submission, action="approve", scores={"evidence": 2, "clarity": 2})
    for url in (URL, "/dashboard", "/courses/test-course"):
        page = trainee.get(url, follow_redirects=True).get_data(as_text=True)
        assert EXEMPLAR_URL not in page and EXEMPLAR_TEXT not in page and "A calibration note." not in page


def test_a_mentor_who_is_also_a_trainee_of_the_course_is_refused(world, as_):
    mentor = world["mentor"]
    db.session.add(Enrolment(user_id=mentor.id, course_id=world["course"].id, source="self"))
    db.session.commit()
    assert as_(mentor).get(EXEMPLAR_URL).status_code == 403


def test_an_assignment_without_an_exemplar_has_no_page(world, as_, tmp_path):
    toml = assignment_toml()
    write_assignment(tmp_path / "courses" / "test-course", toml=toml[:toml.index("[exemplar]")])
    import_courses(tmp_path / "courses")
    assert db.session.scalar(select(Assignment.exemplar)) is None
    assert as_(world["mentor"]).get(EXEMPLAR_URL).status_code == 404
    assert as_(world["mentor"]).get("/courses/test-course/assignments/nothing/exemplar").status_code == 404
