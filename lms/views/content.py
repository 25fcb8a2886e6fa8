"""The admin console's content pages (/admin/content): courses and their versions, packages to download, upload,
preview, publish, compare and publish again, and translations out of step. Thin: lms/services/content_ops.py does
the work, through the same importer as ``flask lms import-courses``."""

from __future__ import annotations

import difflib

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..content.base import ContentError
from ..content.diff import compare
from ..content.importer import _render
from ..content.package import files as package_files
from ..extensions import db
from ..forms import ActionForm, ContentUploadForm
from ..models import Course, Role
from ..security import accepts_uploads, role_required
from ..services import audit, content_ops

bp = Blueprint("content", __name__, url_prefix="/admin/content")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin():
    """Every content page: administrators only."""


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _upload_form() -> ContentUploadForm:
    form = ContentUploadForm()
    form.target.choices = [("", _("A new course"))] + [
        (row.course.slug, row.course.slug) for row in content_ops.overview()]
    return form


def _index(form: ContentUploadForm, problems=None, status: int = 200):
    return render_template("content/index.html", rows=content_ops.overview(), drift=content_ops.out_of_step(),
                           form=form, action=ActionForm(), problems=problems,
                           limits=content_ops.package_limits()), status


@bp.get("/")
def index():
    form = _upload_form()
    form.target.data = request.args.get("course", "")
    return _index(form)


@bp.get("/<slug>/package.zip")
def download(slug):
    course = _course_or_404(slug)
    data = content_ops.course_package(course)
    if data is None:
        abort(404)
    return _zip(data, f"{course.slug}.zip")


def _zip(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.post("/upload")
@accepts_uploads
def upload():
    form = _upload_form()
    if not form.validate_on_submit():
        return _index(form, status=422)
    limit = content_ops.package_limits().max_bytes
    data = form.package.data.stream.read(limit + 1)
    try:
        item = content_ops.stage(data, target=form.target.data or "", source="upload",
                                 filename=form.package.data.filename or "")
    except ContentError as error:
        return _index(form, problems=error.problems, status=422)
    return redirect(url_for("content.preview", token=item.token))


def _staged_or_404(token: str) -> content_ops.Staged:
    try:
        return content_ops.staged(token)
    except (content_ops.NotStaged, ContentError):
        abort(404)


@bp.get("/staged/<token>")
def preview(token):
    return _preview_page(_staged_or_404(token))


def _preview_page(item, moved: int | None = None, needs_confirmation: bool = False, status: int = 200):
    return render_template("content/preview.html", p=content_ops.preview(item), action=ActionForm(), moved=moved,
                           needs_confirmation=needs_confirmation), status


@bp.post("/staged/<token>/publish")
def publish(token):
    if not ActionForm().validate_on_submit():
        abort(400)
    item = _staged_or_404(token)
    try:
        course, version = content_ops.publish(token, request.form.get("base", -1, type=int),
                                              request.form.get("confirm_new") == "1", current_user)
    except content_ops.VersionMoved as moved:
        return _preview_page(item, moved=moved.current, status=409)
    except content_ops.NeedsConfirmation:
        return _preview_page(item, needs_confirmation=True, status=422)
    except ContentError:  # valid when staged; the validator changed meanwhile
        abort(409)
    if version is None:
        flash(_("Nothing changed: the package is the same as the published version."), "info")
    else:
        flash(_("Version %(n)d of %(course)s is published.", n=version.number, course=course.slug), "success")
    return redirect(url_for("content.history", slug=course.slug))


@bp.post("/staged/<token>/discard")
def discard(token):
    if not ActionForm().validate_on_submit():
        abort(400)
    _staged_or_404(token)
    content_ops.discard(token)
    flash(_("The package was discarded; nothing changed."), "info")
    return redirect(url_for("content.index"))


def _find(spec, kind: str, name: str):
    for module in spec.modules:
        if kind == "lesson":
            for lesson in module.lessons:
                if lesson.slug == name:
                    return module, lesson
        elif kind == "quiz" and module.slug == name and module.quiz is not None:
            return module, module.quiz
        elif kind == "assignment":
            for assignment in module.assignments:
                if assignment.slug == name:
                    return module, assignment
    abort(404)


@bp.get("/staged/<token>/<any(lesson, quiz, assignment):kind>/<name>")
def preview_item(token, kind, name):
    """One lesson, quiz or assignment of the package as a trainee would see it, in the language asked for."""
    item = _staged_or_404(token)
    lang = request.args.get("lang") if request.args.get("lang") in ("ja", "en") else "ja"
    module, unit = _find(item.spec, kind, name)
    return render_template("content/preview_item.html", item=item, kind=kind, name=name, module=module, unit=unit,
                           lang=lang, md=lambda texts: _render((texts or {}).get(lang, ""), lang))


@bp.get("/<slug>/history")
def history(slug):
    course = _course_or_404(slug)
    return render_template("content/history.html", course=course, versions=content_ops.versions(course),
                           action=ActionForm())


@bp.get("/<slug>/versions/<id:version_id>/package.zip")
def version_package(slug, version_id):  # the version's number in its course
    course = _course_or_404(slug)
    version = content_ops.get_version(course, version_id) or abort(404)
    return _zip(version.package, f"{course.slug}-v{version.number}.zip")


@bp.post("/<slug>/versions/<id:version_id>/republish")
def republish(slug, version_id):  # the version's number in its course
    """Publish an earlier version again: it is staged like an upload and previewed first; publishing makes it a new
    version."""
    if not ActionForm().validate_on_submit():
        abort(400)
    course = _course_or_404(slug)
    version = content_ops.get_version(course, version_id) or abort(404)
    try:
        item = content_ops.stage(version.package, target=course.slug, source="rollback",
                                 filename=f"{course.slug}-v{version.number}.zip", from_version=version.number)
    except ContentError as error:
        flash(_("Version %(n)d can no longer be published: %(problem)s", n=version_id, problem=str(error.problems[0])),
              "error")
        return redirect(url_for("content.history", slug=slug))
    return redirect(url_for("content.preview", token=item.token))


@bp.get("/<slug>/compare")
def compare_versions(slug):
    course = _course_or_404(slug)
    numbers = [v.number for v in content_ops.versions(course)]
    if not numbers:
        abort(404)
    a = request.args.get("a", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    b = request.args.get("b", type=int) or numbers[0]
    old, new = content_ops.get_version(course, a), content_ops.get_version(course, b)
    if old is None or new is None:
        abort(404)
    old_files, new_files = package_files(old.package), package_files(new.package)
    diffs = []
    for path in sorted(set(old_files) | set(new_files)):
        before = old_files.get(path, b"").decode("utf-8", "replace").splitlines()
        after = new_files.get(path, b"").decode("utf-8", "replace").splitlines()
        if before != after:
            state = "added" if path not in old_files else "removed" if path not in new_files else "changed"
            lines = list(difflib.unified_diff(before, after, f"v{a}/{path}", f"v{b}/{path}", lineterm="", n=2))
            diffs.append((path, state, lines[:400]))
    changes = compare(content_ops._safe_spec(old), content_ops._safe_spec(new))
    return render_template("content/compare.html", course=course, numbers=numbers, a=a, b=b, diffs=diffs,
                           diff=changes)


@bp.post("/translations/<id:state_id>/checked")
def mark_checked(state_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    state = content_ops.get_state(state_id) or abort(404)
    content_ops.mark_checked(state)
    audit.record("content.translation_checked", "course", state.course_id, details={"unit": state.unit})
    flash(_("%(unit)s is marked as checked: both languages are in step.", unit=state.label), "success")
    return redirect(url_for("content.index", _anchor="out-of-step"))
