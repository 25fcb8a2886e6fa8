"""Signed Open Badges 3.0 credentials: download, the published key set, verification."""

import json

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from ..extensions import csrf, db
from ..security import verification_limit
from ..models import Certificate, Course
from ..services import credentials as service

bp = Blueprint("credentials", __name__)

MAX_VERIFY_BODY = 64 * 1024  # a credential is a few KB
JWT_MEDIA_TYPE = "application/vc+jwt"  # VC-JOSE-COSE's media type for a VC secured as a JWT


def _error(status: int, message: str):
    # The API answers in JSON, errors included; the site's error pages are HTML.
    return jsonify(error=message), status


@bp.errorhandler(429)
def too_many_requests(error):
    return _error(429, "too many requests; try again in a minute")


def _issuer_info(course_slug: str) -> dict | None:
    """The course's [certificate] table; if it was removed, the last issued certificate's copy of it, so that
    credentials already out in the world keep a resolvable issuer and revocation list."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is not None and course.certificate_info:
        return course.certificate_info
    return db.session.scalar(select(Certificate.issuer).where(Certificate.course_slug == course_slug)
                             .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1))


@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(service.jwks())
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/api/v1/issuers/<course_slug>")
def issuer(course_slug):
    info = _issuer_info(course_slug)
    if info is None:
        return _error(404, "no such issuer")
    return jsonify({"@context": [service.OB_CONTEXT], **service.issuer_profile(info, course_slug)})


@bp.get("/api/v1/issuers/<course_slug>/revocations")
def revocation_list(course_slug):
    if _issuer_info(course_slug) is None:
        return _error(404, "no such issuer")
    response = Response(service.revocation_list_jwt(course_slug), mimetype=JWT_MEDIA_TYPE)
    # Short: a revocation should reach verifiers that cache the list within minutes.
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@bp.post("/api/v1/credentials/verify")
@csrf.exempt  # no cookies are used and nothing changes: there is no session to forge a request with
@verification_limit
def verify():
    request.max_content_length = MAX_VERIFY_BODY
    try:
        body = request.get_data()
    except RequestEntityTooLarge:
        return _error(413, f"the body is larger than {MAX_VERIFY_BODY // 1024} KB")
    # JSON {"credential": "<jwt>"}, or the bare JWT in any other content type.
    token = None
    try:
        if request.is_json:
            data = json.loads(body)
            token = data.get("credential") if isinstance(data, dict) else None
        else:
            token = body.decode("utf-8")
    except (ValueError, RecursionError):  # malformed JSON or UTF-8, or nesting deeper than the parser goes
        pass
    verdict = (service.verify_jwt(token) if isinstance(token, str)
               else service.Verdict("invalid", None, "send the JWT as the body, or JSON {\"credential\": \"<jwt>\"}"))
    certificate = service.certificate_summary(verdict.certificate) if verdict.certificate is not None else None
    return jsonify(status=verdict.status, reason=verdict.reason, certificate=certificate), (
        400 if verdict.status == "invalid" else 200)


@bp.get("/certificates/<public_id>/credential.jwt")
@login_required
def download(public_id):
    certificate = db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    # Anyone but the holder or an admin gets the same 404 as for a missing id, so ids are not confirmed;
    # a revoked certificate is not handed out as a credential.
    if (certificate is None or certificate.revoked_at is not None
            or not (certificate.user_id == current_user.id or current_user.is_admin)):
        raise NotFound()
    response = Response(service.issue_jwt(certificate), mimetype=JWT_MEDIA_TYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{certificate.course_slug}-{certificate.public_id}.jwt"')
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response
