"""The signed-in user's notifications."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..forms import ActionForm
from ..security import is_safe_next
from ..services import notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    return render_template("notifications/index.html", items=notifications.recent(current_user),
                           text=notifications.text)


@bp.post("/<id:notification_id>")
@login_required
def open_one(notification_id):
    """Mark it read and go where it points (another person's notification is a 404). A POST: it writes."""
    if not ActionForm().validate_on_submit():
        abort(400)
    notification = notifications.open_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    return redirect(notification.link if is_safe_next(notification.link) else url_for("notifications.index"))


@bp.post("/read")
@login_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    notifications.mark_all_read(current_user)
    return redirect(url_for("notifications.index"))
