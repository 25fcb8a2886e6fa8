"""The audit log for admins: filter, page, export as CSV. There is no way to edit or delete an event."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import unit_of_work
from ..csv_export import csv_response
from ..models import Role
from ..security import role_required
from ..services import audit

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

# Every action the app records, with the label people read (the page's select, its rows and the CSV).
ACTION_LABELS = {
    "login.failure": _l("Failed login"),
    "login.throttled": _l("Login blocked after too many attempts"),
    "login.throttle_cleared": _l("Login throttle cleared"),
    "user.create": _l("Account created by an admin"),
    "user.roles": _l("Roles changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.activate": _l("Account reactivated"),
    "content.import": _l("Courses imported"),
    "content.publish": _l("Course content published"),
    "content.translation_checked": _l("Translation marked as checked"),
    "review.approve": _l("Assignment approved"),
    "review.revise": _l("Revision requested"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.replace": _l("Expired certificate renewed"),
    "certificate.revoke": _l("Certificate revoked"),
    "audit.export": _l("Audit log exported"),
    "cohort.add": _l("Added to a cohort"),
    "cohort.remove": _l("Removed from a cohort"),
    "cohort.import": _l("People added to a cohort in bulk"),
    "cohort.dates": _l("Cohort dates changed"),
    "cohort.courses": _l("Cohort courses changed"),
    "cohort.mentor_mode": _l("Cohort mentor allocation changed"),
    "cohort.pairings": _l("Named mentors changed"),
    "mentor.allocate": _l("Mentor allocated"),
    "mentor.deallocate": _l("Mentor allocation removed"),
    "report.export": _l("Cohort progress report exported"),
    "grades.export": _l("Cohort grades exported"),
    "announcement.post": _l("Announcement posted to a cohort"),
    "mail.send_again": _l("Failed mail sent again"),
}
TARGET_LABELS = {"user": _l("Person"), "certificate": _l("Certificate"), "submission": _l("Submission"),
                 "cohort": _l("Cohort"), "mail": _l("Mail"), "address": _l("Client address"),
                 "course": _l("Course")}
# Events without an actor: these come from visitors who were not signed in, the rest from the system.
ANONYMOUS_ACTIONS = {"login.failure", "login.throttled"}


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every audit page: login required, then administrators only."""


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def actor_label(event, actor) -> str:
    if actor is not None:
        return actor.display_name
    return _("Not signed in") if event.action in ANONYMOUS_ACTIONS else _("System")


@bp.get("")
def index():
    filters = audit.parse_filters(request.args, ACTION_LABELS)
    page = audit.search(filters, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("admin/audit.html", page=page, filters=filters, args=filters.query_args(),
                           action_labels=ACTION_LABELS, target_labels=TARGET_LABELS, action_label=action_label,
                           actor_label=actor_label, detail_pairs=audit.detail_pairs)


@bp.post("/export.csv")
def export():
    filters = audit.parse_filters(request.args, ACTION_LABELS)
    # A POST, so the export is recorded; the request's commit happens before the first byte is sent.
    audit.record("audit.export", details={"filters": filters.query_args(), "format": "csv"})
    unit_of_work.keep_loaded_after_commit()
    header = [_("When (Asia/Tokyo)"), _("Who"), _("E-mail address"), _("Action"), _("Action code"),
              _("Target type"), _("Target"), _("Details"), _("From (IP address)")]
    rows = ([audit.tokyo_iso(event.created_at), actor_label(event, actor), actor.email if actor is not None else "",
             action_label(event.action), event.action, event.target_type, event.target_id,
             "; ".join(f"{key}: {text}" for key, text in audit.detail_pairs(event.details)), event.ip]
            for event, actor in audit.stream(filters))
    filename = f"audit-{audit.tokyo_iso(datetime.now(audit.TOKYO))[:10]}.csv"
    return csv_response(header, rows, filename, batch_size=audit.EXPORT_BATCH)
