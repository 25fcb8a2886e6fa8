"""The per-cohort progress report for admins: the page with its charts, and its CSV exports."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template, request
from flask_babel import format_timedelta

from .. import unit_of_work
from ..csv_export import csv_response
from ..extensions import db
from ..models import Cohort, Role
from ..security import parse_id, role_required
from ..services import audit, charts, reports

bp = Blueprint("reports", __name__, url_prefix="/admin/cohorts")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every report and export: login required, then administrators only."""



def _filters(report: reports.CohortReport) -> dict:
    """The report's options as GET parameters, for the pager and the export links."""
    return {"course": report.course.id, "stuck_days": report.stuck_days} if report.course else {}


@bp.get("/<id:cohort_id>/report")
def report(cohort_id):
    report = reports.cohort_report(db.get_or_404(Cohort, cohort_id), parse_id(request.args.get("course")),
                                   reports.clamp_stuck_days(request.args.get("stuck_days")))
    page = report.page(request.args.get("page", 1, type=int), reports.MATRIX_PAGE_SIZE)
    return render_template(
        "admin/report.html", report=report, page=page, filters=_filters(report),
        progress_chart=charts.progress_chart(report.progress_bands),
        reviews_chart=charts.reviews_chart(report.reviews_per_week), stuck_limit=reports.STUCK_LIST_LIMIT,
        quiz_labels=reports.QUIZ_STATE_LABELS, assignment_labels=reports.ASSIGNMENT_STATUS_LABELS,
        duration=_duration)


def _duration(value) -> str:
    return format_timedelta(value, threshold=1.5) if value is not None else ""


def _export(cohort_id: int, action: str, kind: str, header, rows):
    cohort = db.get_or_404(Cohort, cohort_id)
    course = reports.pick_course(reports.cohort_courses(cohort), parse_id(request.args.get("course")))
    if course is None:
        abort(404)  # nothing to export: the cohort has no course yet
    # A POST, so the export is recorded; the request's commit happens before the first byte is sent,
    # so an export that fails half-way still happened.
    audit.record(action, "cohort", cohort.id, {"course": course.slug, "format": "csv"})
    unit_of_work.keep_loaded_after_commit()
    report = reports.cohort_report(cohort, course.id, reports.clamp_stuck_days(request.args.get("stuck_days")))
    slug = re.sub(r"[^a-z0-9-]+", "-", course.slug.lower()).strip("-") or f"course-{course.id}"
    day = report.now.astimezone(audit.TOKYO).date().isoformat()
    return csv_response(header(report), rows(report), f"cohort-{cohort.id}-{slug}-{kind}-{day}.csv")


@bp.post("/<id:cohort_id>/report.csv")
def report_csv(cohort_id):
    """The matrix for the whole cohort, one trainee a row."""
    return _export(cohort_id, "report.export", "report", reports.report_header, reports.report_rows)


@bp.post("/<id:cohort_id>/grades.csv")
def grades_csv(cohort_id):
    """Quiz scores, assignment statuses and rubric totals, certificates: one trainee a row."""
    return _export(cohort_id, "grades.export", "grades", reports.grades_header, reports.grades_rows)
