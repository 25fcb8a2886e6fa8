"""The audit log for admins: filter, page, export as CSV. There is no way to edit or delete an event."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Role
from ..security import role_required
from ..services import audit

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

# Every action the app records, with the label people read (the page's select, its rows and the CSV).
ACTION_LABELS = {
    "login.failure": _l("Failed login"),
    "login.throttled": _l("Login blocked after too many attempts"),
    "user.roles": _l("Roles changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.activate": _l("Account reactivated"),
    "content.import": _l("Courses imported"),
    "review.approve": _l("Assignment approved"),
    "review.revise": _l("Revision requested"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.replace": _l("Expired certificate renewed"),
    "certificate.revoke": _l("Certificate revoked"),
    "audit.export": _l("Audit log exported"),
}
TARGET_LABELS = {"user": _l("Person"), "certificate": _l("Certificate"), "submission": _l("Submission")}
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


@bp.get("/export.csv")
def export():
    filters = audit.parse_filters(request.args, ACTION_LABELS)
    # Recorded (and committed) before anything is sent: an export that fails half-way still happened.
    audit.record("audit.export", details={"filters": filters.query_args(), "format": "csv"})
    db.session.commit()
    header = [_("When (Asia/Tokyo)"), _("Who"), _("E-mail address"), _("Action"), _("Action code"),
              _("Target type"), _("Target"), _("Details"), _("From (IP address)")]

    def chunk(rows: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode("utf-8")

    def rows():
        batch = []
        for event, actor in audit.stream(filters):
            batch.append([audit.tokyo_iso(event.created_at), actor_label(event, actor),
                          actor.email if actor is not None else "", action_label(event.action), event.action,
                          event.target_type, event.target_id,
                          "; ".join(f"{key}: {text}" for key, text in audit.detail_pairs(event.details)), event.ip])
            if len(batch) == audit.EXPORT_BATCH:
                yield chunk(batch)
                batch = []
        if batch:
            yield chunk(batch)

    events = stream_with_context(rows())  # keeps the request's contexts (and the database session) while streaming

    def body():
        # The byte-order mark makes Excel read UTF-8 (and so Japanese) correctly. It and the header go out before
        # the database is read, outside the streamed contexts; closing the response closes ``events`` too.
        yield "\ufeff".encode("utf-8") + chunk([header])
        yield from events

    filename = f"audit-{audit.tokyo_iso(datetime.now(audit.TOKYO))[:10]}.csv"
    return Response(body(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}",
                             "Cache-Control": "no-store"})
