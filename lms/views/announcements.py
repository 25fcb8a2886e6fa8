"""Reading a program office announcement: members of its cohort and staff."""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..services import announcements

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.get("/<id:announcement_id>")
@login_required
def show(announcement_id):
    announcement = announcements.readable(current_user, announcement_id)
    if announcement is None:
        abort(404)  # another cohort's announcement is not confirmed to exist
    return render_template("announcements/show.html", announcement=announcement)
