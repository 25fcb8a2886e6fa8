"""The personal calendar feed (iCalendar): no login, the token in the URL is the credential; never writes."""

from flask import Blueprint, Response, abort

from .. import clock
from ..services import calendar_feed

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("/<id:user_id>/<token>.ics")
def feed(user_id, token):
    user = calendar_feed.user_for(user_id, token)
    if user is None:
        abort(404)
    response = Response(calendar_feed.feed(user, clock.now()), mimetype="text/calendar")
    response.headers["Content-Disposition"] = "inline; filename=skyfront-lms.ics"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
