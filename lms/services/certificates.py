"""Completion certificates: who is eligible, issuing exactly once, revocation, the cached PDF.

Eligibility is ``rules.completion.missing`` applied to facts loaded here in a fixed number of queries,
for one trainee (the course page) or a page of trainees (the admin list). A certificate is a snapshot:
issuing copies names, titles, issuer and the completion record into the row, and nothing later
changes it. "At most one certificate in force per trainee and course" is a unique index, so a
certificate is issued once even when two requests complete the course at the same moment.
"""

from __future__ import annotations

import calendar
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from .. import clock, storage
from ..urls import external_url, site_path
from ..extensions import db
from ..fonts import unprintable
from ..i18n import LANGUAGES, format_score
from ..models import (Certificate, Cohort, CohortMember, Course, Enrolment, LessonCompletion, QuizResult, Submission,
                      User)
from ..pagination import clamp_page
from ..rules import review
from ..rules.review import PROGRAM_TIMEZONE
from ..rules.completion import ASSIGNMENT, LESSON, QUIZ, QuizStanding, Reason, Record, Requirement, missing
from . import audit, notifications, outline_cache, people

log = logging.getLogger(__name__)
PUBLIC_ID_BYTES = 18  # 144 random bits, 24 URL-safe characters


class CertificateError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def offers_certificate(course: Course) -> bool:
    """A course issues certificates when its course.toml has a [certificate] table."""
    return bool(course.certificate_info)


def issues_automatically(course: Course) -> bool:
    return offers_certificate(course) and (course.completion_rules or {}).get("issue") == "automatic"


# --- what the course requires, and what trainees did


@dataclass
class Requirements:
    items: list[Requirement]
    min_quiz_score: float | None
    attempt_limits: dict[int, int]  # quiz id -> max attempts (0: unlimited)


def requirements(course: Course) -> Requirements:
    """The live steps the course's [completion] rules require, in course order, read from the cached outline
    (no query while it is cached; a transaction that changed content reads its own, uncached)."""
    rules = course.completion_rules or {}
    wanted = {kind: (set(rules[kind]) if rules.get(kind) is not None else None)
              for kind in ("lessons", "quizzes", "assignments")}

    def required(kind: str, slug: str) -> bool:
        return wanted[kind] is None or slug in wanted[kind]

    outline = outline_cache.outlines([course.id])[course.id]
    items, limits = [], {}
    for module in outline.modules:
        items.extend(Requirement(LESSON, lesson.id, _titles(lesson))
                     for lesson in outline.lessons.get(module.id, []) if required("lessons", lesson.slug))
        quiz = outline.quizzes.get(module.id)
        if quiz is not None and required("quizzes", quiz.slug):
            items.append(Requirement(QUIZ, quiz.id, _titles(quiz)))
            limits[quiz.id] = quiz.max_attempts
        items.extend(Requirement(ASSIGNMENT, assignment.id, _titles(assignment))
                     for assignment in outline.assignments.get(module.id, []) if required("assignments", assignment.slug))
    return Requirements(items, rules.get("min_quiz_score"), limits)


def _titles(row) -> dict:
    return {"ja": row.title_ja, "en": row.title_en}


@dataclass
class Standing:
    """One trainee's position towards a course's certificate."""

    user: User
    reasons: list[Reason]
    record: Record
    certificate: Certificate | None  # the one in force (not revoked, not replaced), if any; it may have expired
    had_certificate: bool = False  # any certificate of this course, revoked or replaced ones included
    approved_at: dict[int, datetime] = field(default_factory=dict)  # assignment id ->

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def expired(self) -> bool:
        return self.certificate is not None and self.certificate.status(clock.now()) == "expired"

    @property
    def current(self) -> Certificate | None:
        """The certificate that is valid now, if any."""
        return None if self.expired else self.certificate


def standings(course: Course, users: list[User], reqs: Requirements | None = None) -> dict[int, Standing]:
    """Eligibility and certificates of these trainees in this course: five queries for any number of them."""
    reqs = reqs or requirements(course)
    ids = [user.id for user in users]
    records = {user.id: Record(enrolled=False, named=bool(user.name_latin.strip()),
                               unprintable=unprintable(user.name_ja + user.name_latin)) for user in users}
    approved_at: dict[int, dict[int, datetime]] = defaultdict(dict)
    if ids:
        for user_id in db.session.scalars(select(Enrolment.user_id).where(
                Enrolment.course_id == course.id, Enrolment.user_id.in_(ids))):
            records[user_id].enrolled = True
        for user_id, lesson_id in db.session.execute(select(LessonCompletion.user_id, LessonCompletion.lesson_id).where(
                LessonCompletion.course_id == course.id, LessonCompletion.user_id.in_(ids))):
            records[user_id].lessons_done.add(lesson_id)
        for result in db.session.scalars(select(QuizResult).where(
                QuizResult.course_id == course.id, QuizResult.user_id.in_(ids))):
            limit = reqs.attempt_limits.get(result.quiz_id, 0)
            records[result.user_id].quizzes[result.quiz_id] = QuizStanding(
                result.percent, result.passed, bool(limit) and not result.passed and result.attempts >= limit)
        for user_id, assignment_id, state, updated_at in db.session.execute(
                select(Submission.user_id, Submission.assignment_id, Submission.state, Submission.updated_at)
                .where(Submission.course_id == course.id, Submission.user_id.in_(ids))):
            records[user_id].submissions[assignment_id] = state
            if state == review.APPROVED:
                approved_at[user_id][assignment_id] = updated_at
    in_force, had = {}, set()
    if ids:
        for certificate in db.session.scalars(select(Certificate).where(
                Certificate.course_id == course.id, Certificate.user_id.in_(ids))):
            had.add(certificate.user_id)
            if certificate.revoked_at is None and certificate.replaced_at is None:
                in_force[certificate.user_id] = certificate
    result = {}
    for user in users:
        record = records[user.id]
        reasons = missing(reqs.items, reqs.min_quiz_score, record)
        result[user.id] = Standing(user, reasons, record, in_force.get(user.id), user.id in had, approved_at[user.id])
    return result


def standing(user: User, course: Course) -> Standing:
    return standings(course, [user])[user.id]


# --- issuing


def _new_certificate(course: Course, state: Standing, reqs: Requirements, by: User | None) -> Certificate:
    """The snapshot: everything the certificate says, copied now."""
    now = clock.now()
    user, record = state.user, state.record
    quizzes = [item for item in reqs.items if item.kind == QUIZ]
    completion = {
        "lessons": sum(1 for item in reqs.items if item.kind == LESSON),
        "quizzes": [{"title": item.title, "percent": record.quizzes[item.id].percent} for item in quizzes],
        "quiz_average": (sum(record.quizzes[item.id].percent for item in quizzes) / len(quizzes)) if quizzes else None,
        "min_quiz_score": reqs.min_quiz_score,
        "assignments": [{"title": item.title, "approved_at": state.approved_at[item.id].isoformat()}
                        for item in reqs.items if item.kind == ASSIGNMENT],
        "completed_at": now.isoformat(),
    }
    issuer = dict(course.certificate_info)
    issuer["criteria"] = criteria_text(completion)
    months = (course.completion_rules or {}).get("valid_months")
    return Certificate(
        public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES),
        user_id=user.id, course_id=course.id,
        holder_name_ja=user.name_ja.strip(), holder_name_latin=user.name_latin.strip(),
        course_slug=course.slug, course_title_ja=course.title_ja, course_title_en=course.title_en,
        program=course.program, issuer=issuer, completion=completion,
        issued_at=now, expires_at=add_months(now, months) if months else None,
        issued_by_id=by.id if by is not None else None,
    )


def criteria_text(completion: dict) -> dict:
    """What earned the certificate, in both languages (the Open Badges achievement's criteria)."""
    texts = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            parts = [_("Lessons completed: %(n)d.", n=completion["lessons"]),
                     _("Quizzes passed: %(n)d.", n=len(completion["quizzes"])),
                     _("Assignments approved by a mentor: %(n)d.", n=len(completion["assignments"]))]
            if completion["min_quiz_score"] is not None:
                parts.append(_("Average quiz score of at least %(score)s%%.",
                               score=format_score(completion["min_quiz_score"])))
            texts[lang] = " ".join(parts)
    return texts


def add_months(moment: datetime, months: int) -> datetime:
    """The same calendar day in Tokyo ``months`` later (the month's last day when it is shorter)."""
    local = moment.astimezone(PROGRAM_TIMEZONE)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    later = local.replace(year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1]))
    return later.astimezone(moment.tzinfo)


def _replace(expired: Certificate, by: User) -> bool:
    """Renewal: take an expired certificate out of force (it stays on record); False if someone else did."""
    replaced = db.session.execute(update(Certificate).where(
        Certificate.id == expired.id, Certificate.replaced_at.is_(None), Certificate.revoked_at.is_(None))
        .values(replaced_at=clock.now())).rowcount
    if replaced:
        audit.record("certificate.replace", "certificate", expired.public_id,
                     {"user_id": expired.user_id, "course": expired.course_slug}, actor=by)
    return bool(replaced)


def _insert(certificate: Certificate, by: User | None) -> bool:
    """Add the certificate in a savepoint; False when one is already in force (another request won)."""
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return False
    audit.record("certificate.issue", "certificate", certificate.public_id,
                 {"user_id": certificate.user_id, "course": certificate.course_slug,
                  "automatic": by is None}, actor=by, system=by is None)
    return True


def _announce(certificates: list[Certificate]) -> None:
    """Tell each holder (in-app and by mail) and have the PDF rendered, once the issue is committed."""
    from ..tasks import render_certificate_pdf  # the tasks import the services

    for certificate in certificates:
        notifications.notify([certificate.user], "certificate_issued", _course_params(certificate),
                             _mine_link(certificate))
        db.session.flush()
        render_certificate_pdf.enqueue_after_commit(certificate.id)


def _mine_link(certificate: Certificate) -> str:
    return site_path("certificates.mine") + f"#c-{certificate.public_id}"


def _course_params(certificate: Certificate) -> dict:
    return {"course_ja": certificate.course_title_ja, "course_en": certificate.course_title_en}


@dataclass
class IssueReport:
    issued: list[Certificate] = field(default_factory=list)
    already: int = 0  # had one in force
    not_eligible: int = 0


def issue(course: Course, users: list[User], by: User) -> IssueReport:
    """An admin issues certificates to those of ``users`` who are eligible and have none in force."""
    if not offers_certificate(course):
        raise CertificateError(_l("This course does not issue certificates."))
    reqs = requirements(course)
    report = IssueReport()
    for state in standings(course, users, reqs).values():
        if state.current is not None:
            report.already += 1
        elif not state.eligible:
            report.not_eligible += 1
        elif state.certificate is not None and not _replace(state.certificate, by):
            report.already += 1  # another admin renewed it a moment ago
        else:
            certificate = _new_certificate(course, state, reqs, by)
            if _insert(certificate, by):
                report.issued.append(certificate)
            else:
                report.already += 1
    _announce(report.issued)
    return report


def on_progress_changed(changed: list[tuple[int, int]]) -> None:
    """The one handler of the progress event (``unit_of_work.progress_changed``), run just before the commit.

    A failure here is logged and leaves the progress itself to be committed: the program office can still
    issue the certificate by hand, and the next progress event tries again.
    """
    for user_id, course_id in changed:
        course = db.session.get(Course, course_id)
        user = db.session.get(User, user_id)
        if course is None or user is None or not issues_automatically(course):
            continue
        try:
            with db.session.begin_nested():
                issue_if_complete(user, course)
        except Exception:
            log.exception("automatic certificate for user %s in course %s failed", user_id, course_id)


def issue_if_complete(user: User, course: Course) -> Certificate | None:
    """For automatic courses: issue the moment the last requirement is met, in the caller's transaction.

    Only a first certificate is automatic: after a revocation or an expiry, the program office decides.
    Called by ``on_progress_changed``; views never issue certificates.
    """
    if not issues_automatically(course):
        return None
    reqs = requirements(course)
    state = standings(course, [user], reqs)[user.id]
    if state.had_certificate or not state.eligible:
        return None
    certificate = _new_certificate(course, state, reqs, None)
    if not _insert(certificate, None):
        return None  # another request issued it a moment ago
    _announce([certificate])
    return certificate


def revoke(certificate: Certificate, by: User, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_l("Give the reason for the revocation; the holder and verifiers will see it."))
    now = clock.now()
    claimed = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:2000], revoked_by_id=by.id)
    ).rowcount
    if not claimed:
        raise CertificateError(_l("This certificate was already revoked."))
    audit.record("certificate.revoke", "certificate", certificate.public_id,
                 {"user_id": certificate.user_id, "course": certificate.course_slug, "reason": reason[:2000]}, actor=by)
    notifications.notify([certificate.user], "certificate_revoked",
                         {**_course_params(certificate), "reason": reason[:2000]}, _mine_link(certificate))


# --- reading


def courses_with_certificates() -> list[Course]:
    """Courses that issue certificates, or issued some before their [certificate] table was removed."""
    issued = set(db.session.scalars(select(Certificate.course_id).distinct()))
    return [course for course in db.session.scalars(select(Course).order_by(Course.program, Course.position))
            if offers_certificate(course) or course.id in issued]


def by_public_id(public_id: str) -> Certificate | None:
    if not public_id or len(public_id) > 32:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))


def of_user(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def history(course: Course, user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.course_id == course.id,
                                                             Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def verify_url(certificate: Certificate) -> str:
    return external_url("certificates.verify", public_id=certificate.public_id)


def pdf_file(certificate: Certificate) -> Path | bytes:
    """The stored PDF's path, or — before the render job has stored it — the PDF rendered now, in memory.

    Reading never writes: a page view neither stores files nor updates rows, so an unwritable upload folder
    never turns a download into an error. The snapshot never changes, so both are the same document.
    """
    if certificate.pdf_name:
        path = storage.path_of(certificate.pdf_name)
        if path.exists():
            return path
    from . import certificate_pdf  # fpdf2 loads only when a PDF is actually needed

    return certificate_pdf.render(certificate, verify_url(certificate))


def store_pdf(certificate: Certificate) -> None:
    """Render the PDF once and keep it (the render job, after the certificate is issued)."""
    if certificate.pdf_name and storage.path_of(certificate.pdf_name).exists():
        return
    from . import certificate_pdf

    stored_name = storage.save_bytes(certificate_pdf.render(certificate, verify_url(certificate)))
    # Conditional: when two jobs render at once, the first name recorded wins and the other file goes.
    won = db.session.execute(update(Certificate).where(
        Certificate.id == certificate.id,
        (Certificate.pdf_name.is_(None)) | (Certificate.pdf_name == certificate.pdf_name))
        .values(pdf_name=stored_name)).rowcount
    if not won:
        storage.delete(stored_name)
    else:
        from .. import unit_of_work

        # The old file goes only when the new name is committed; a rollback removes the new one instead.
        unit_of_work.on_rollback(lambda: storage.delete(stored_name))


def linkedin_url(certificate: Certificate) -> str:
    """LinkedIn's documented "add to profile" link: the browser carries the fields, the server calls nobody."""
    from urllib.parse import urlencode

    from ..i18n import current_language

    lang = current_language()
    issued = certificate.issued_at.astimezone(PROGRAM_TIMEZONE)  # the date printed on the certificate
    fields = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.course_title_ja if lang == "ja" else certificate.course_title_en,
        "organizationName": (certificate.issuer.get("issuer") or {}).get(lang, ""),
        "issueYear": issued.year, "issueMonth": issued.month,
        "certUrl": verify_url(certificate), "certId": certificate.public_id,
    }
    if certificate.expires_at:
        expires = certificate.expires_at.astimezone(PROGRAM_TIMEZONE)
        fields.update(expirationYear=expires.year, expirationMonth=expires.month)
    return "https://www.linkedin.com/profile/add?" + urlencode(fields)


# --- the admin list

LIST_FILTERS = ("all", "eligible", "certified", "in_progress")


@dataclass
class AdminList:
    page: "people.Page"  # of Standing
    counts: dict[str, int]  # LIST_FILTERS -> how many


def admin_list(course: Course, cohort: Cohort | None, show: str, page: int, per_page: int) -> AdminList:
    """The course's trainees (of one cohort, or all) with their standing: a fixed number of queries.

    Eligibility needs every requirement of every trainee, so the filter runs here rather than in SQL;
    a program's course has hundreds of trainees, not millions.
    """
    query = (select(User).join(Enrolment, Enrolment.user_id == User.id)
             .where(Enrolment.course_id == course.id, User.is_trainee.is_(True)).order_by(User.name_latin, User.id))
    if cohort is not None:
        query = query.where(exists(select(CohortMember.id).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == User.id, CohortMember.role == "trainee")))
    users = list(db.session.scalars(query))
    rows = list(standings(course, users).values())
    groups = {
        "all": rows,
        "eligible": [r for r in rows if r.eligible and r.current is None],
        "certified": [r for r in rows if r.current is not None],
        "in_progress": [r for r in rows if not r.eligible and r.current is None],
    }
    chosen = groups[show]
    page, _pages = clamp_page(page, len(chosen), per_page)
    return AdminList(people.Page(chosen[(page - 1) * per_page: page * per_page], page, per_page, len(chosen)),
                     {key: len(value) for key, value in groups.items()})


def public_record(certificate: Certificate) -> dict:
    """What anyone may know about a certificate, given its id (the verification API)."""
    def stamp(moment):
        return moment.isoformat().replace("+00:00", "Z") if moment else None

    return {
        "id": certificate.public_id,
        "status": certificate.status(clock.now()),
        "holder": {"name_ja": certificate.holder_name_ja, "name_latin": certificate.holder_name_latin},
        "course": {"slug": certificate.course_slug,
                   "title": {"ja": certificate.course_title_ja, "en": certificate.course_title_en}},
        "program": certificate.program,
        "issuer": {key: certificate.issuer.get(key) for key in ("issuer", "issuer_url", "signer", "signer_title")
                   if certificate.issuer.get(key)},
        "issued_at": stamp(certificate.issued_at),
        "expires_at": stamp(certificate.expires_at),
        "revoked_at": stamp(certificate.revoked_at),
        "revocation_reason": certificate.revoked_reason,
        "verify_url": verify_url(certificate),
    }
