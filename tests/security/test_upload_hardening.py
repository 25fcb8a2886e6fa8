"""Uploads: names with bidirectional or invisible characters are refused; zip-based files (DOCX, PPTX, XLSX)
that declare too much uncompressed data, or compress too well, are refused as zip bombs. Nothing is stored."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Attachment
from lms.rules import uploads

from ..views.test_assignments import PDF, save, stored_files, world  # noqa: F401 (world is a fixture)


@pytest.mark.parametrize("name", [
    "plan\u202Efdp.exe.pdf",  # RIGHT-TO-LEFT OVERRIDE: shows as "planexe.pdf…"
    "plan\u202Dx.pdf", "plan\u2066x\u2069.pdf", "plan\u200Bx.pdf", "plan\u200Dx.pdf", "plan\u2060x.pdf",
    "\ufeffplan.pdf", "plan\u061Cx.pdf", "plan\u200Ex.pdf", "plan\u200Fx.pdf", "plan\u00ADx.pdf",
    "plan\U000E0041.pdf",  # a tag character
])
def test_names_with_bidi_or_invisible_characters_are_refused(name):
    assert uploads.name_problem(name) == "invisible"


@pytest.mark.parametrize("name", ["事業計画 v1.2.pdf", "Ｐｌａｎ（最終）.docx", "plan-été.pdf", "計画书.pdf"])
def test_ordinary_names_in_any_script_still_pass(name):
    assert uploads.name_problem(name) is None


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx(document: bytes = b"<w/>") -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": document})


def test_the_zip_rule_measures_declared_size_ratio_and_members(tmp_path):
    limits = uploads.ZipLimits(max_uncompressed=1_000_000, max_ratio=100, max_members=10)
    path = tmp_path / "a.docx"
    path.write_bytes(docx())
    assert uploads.zip_problem(path, limits) is None
    path.write_bytes(docx(b"0" * 2_000_000))  # 2 MB declared
    assert uploads.zip_problem(path, limits) == "bomb"
    path.write_bytes(docx(b"0" * 500_000))  # under the size, but 500 KB of zeros compress about 1000 : 1
    assert uploads.zip_problem(path, limits) == "bomb"
    path.write_bytes(docx(os.urandom(300_000)))  # incompressible and under the size: fine
    assert uploads.zip_problem(path, limits) is None
    path.write_bytes(zipped({f"word/{n}.xml": b"<w/>" for n in range(11)} | {"[Content_Types].xml": b""}))
    assert uploads.zip_problem(path, limits) == "bomb"


def test_a_docx_bomb_is_refused_and_nothing_is_stored(world, as_, app):  # noqa: F811
    app.config.update(UPLOAD_MAX_UNCOMPRESSED_MB=1, UPLOAD_MAX_COMPRESSION_RATIO=100)
    t = as_(world["trainee"])
    response = save(t, world["trainee"], problem="My text", files=[("plan.docx", docx(b"0" * 3_000_000))])
    page = t.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "expands to far more" in page
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert stored_files(app) == []


def test_a_name_with_a_right_to_left_override_is_refused_on_upload(world, as_, app):  # noqa: F811
    t = as_(world["trainee"])
    response = save(t, world["trainee"], files=[("invoice\u202Efdp.exe", PDF), ("plan\u200B.pdf", PDF)])
    page = t.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count("invisible or direction-changing") == 2
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_the_zip_limits_are_settings(monkeypatch):
    from lms.config import Defaults, env_overrides

    assert Defaults.UPLOAD_MAX_UNCOMPRESSED_MB >= 25 and Defaults.UPLOAD_MAX_COMPRESSION_RATIO >= 20
    monkeypatch.setenv("LMS_UPLOAD_MAX_UNCOMPRESSED_MB", "50")
    monkeypatch.setenv("LMS_UPLOAD_MAX_COMPRESSION_RATIO", "40")
    found = env_overrides()
    assert found["UPLOAD_MAX_UNCOMPRESSED_MB"] == 50 and found["UPLOAD_MAX_COMPRESSION_RATIO"] == 40
