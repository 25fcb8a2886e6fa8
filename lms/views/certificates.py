"""Certificates: the holder's list and PDF, admin issuing and revocation, public verification."""

from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..forms import ActionForm, RevokeCertificateForm
from ..i18n import current_language
from ..models import Cohort, Course, Role, User
from ..presenters import explain
from ..security import parse_id, role_required, verification_limit
from ..services import certificates
from ..services.certificates import CertificateError

bp = Blueprint("certificates", __name__)


# --- the holder


@bp.get("/certificates/")
@login_required
def mine():
    items = certificates.of_user(current_user)
    return render_template("certificates/mine.html", items=items, now=clock.now(),
                           verify_url=certificates.verify_url, linkedin_url=certificates.linkedin_url)


def _viewable_or_404(public_id: str):
    """The holder sees their certificate (until it is revoked), admins see every one; anyone else gets 404."""
    certificate = certificates.by_public_id(public_id)
    if certificate is None:
        abort(404)
    if current_user.is_admin:
        return certificate
    if certificate.user_id != current_user.id or certificate.revoked_at is not None:
        abort(404)
    return certificate


@bp.get("/certificates/<public_id>.pdf")
@login_required
def pdf(public_id):
    certificate = _viewable_or_404(public_id)
    stored = certificates.pdf_file(certificate)
    return send_file(io.BytesIO(stored) if isinstance(stored, bytes) else stored, mimetype="application/pdf", as_attachment=request.args.get("download") == "1",
                     download_name=f"certificate-{certificate.course_slug}-{certificate.public_id}.pdf",
                     max_age=0)


# --- anyone


@bp.get("/verify/<public_id>")
@verification_limit
def verify(public_id):
    certificate = certificates.by_public_id(public_id)
    if certificate is None:
        abort(404)
    response = current_app.make_response(render_template(
        "certificates/verify.html", certificate=certificate, status=certificate.status(clock.now())))
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/api/v1/certificates/<public_id>")
@verification_limit
def status_json(public_id):
    certificate = certificates.by_public_id(public_id)
    if certificate is None:
        return jsonify(error="not found"), 404
    return jsonify(certificates.public_record(certificate))


# --- admins


@bp.get("/admin/certificates")
@role_required(Role.ADMIN)
def admin_index():
    courses = certificates.courses_with_certificates()
    course = next((c for c in courses if c.slug == request.args.get("course")), courses[0] if courses else None)
    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())))
    cohort = next((c for c in cohorts if str(c.id) == request.args.get("cohort")), None)
    show = request.args.get("show") if request.args.get("show") in certificates.LIST_FILTERS else "all"
    page = None
    if course is not None:
        page = certificates.admin_list(course, cohort, show, request.args.get("page", 1, type=int),
                                       current_app.config["PAGE_SIZE"])
    return render_template("certificates/admin_index.html", courses=courses, course=course, cohorts=cohorts,
                           cohort=cohort, show=show, page=page, explain=explain, lang=current_language(),
                           form=ActionForm())


@bp.post("/admin/certificates/issue")
@role_required(Role.ADMIN)
def admin_issue():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    course = db.session.scalar(select(Course).where(Course.slug == request.form.get("course", "")))
    if course is None:
        abort(404)
    ids = sorted({parse_id(v) for v in request.form.getlist("user")} - {None})
    users = list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name_latin))) if ids else []
    back = url_for("certificates.admin_index", course=course.slug, cohort=request.form.get("cohort") or None,
                   show=request.form.get("show") or None)
    if not users:
        flash(_("Select at least one trainee."), "error")
        return redirect(back)
    if request.form.get("confirm") != "yes":
        return render_template("certificates/admin_confirm.html", course=course, users=users, form=form,
                               cohort=request.form.get("cohort", ""), show=request.form.get("show", ""), back=back)
    try:
        report = certificates.issue(course, users, current_user)
    except CertificateError as error:
        flash(error.message, "error")
        return redirect(back)
    if report.issued:
        flash(ngettext("Issued %(num)d certificate.", "Issued %(num)d certificates.", len(report.issued)), "success")
    if report.already:
        flash(ngettext("%(num)d trainee already had a certificate.", "%(num)d trainees already had a certificate.",
                       report.already), "info")
    if report.not_eligible:
        flash(ngettext("%(num)d trainee is not eligible; nothing was issued to them.",
                       "%(num)d trainees are not eligible; nothing was issued to them.", report.not_eligible), "error")
    return redirect(back)


@bp.route("/admin/certificates/<public_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_certificate(public_id):
    certificate = certificates.by_public_id(public_id)
    if certificate is None:
        abort(404)
    form = RevokeCertificateForm()
    if form.validate_on_submit():
        try:
            certificates.revoke(certificate, current_user, form.reason.data)
        except CertificateError as error:
            flash(error.message, "error")
        else:
            flash(_("The certificate has been revoked. The holder has been notified."), "success")
            return redirect(url_for("certificates.admin_certificate", public_id=public_id))
    return render_template("certificates/admin_certificate.html", certificate=certificate, form=form,
                           status=certificate.status(clock.now()),
                           history=certificates.history(certificate.course, certificate.user),
                           verify_url=certificates.verify_url(certificate))
