"""Attachment names and what the bytes really are."""

from __future__ import annotations

import zipfile

import pytest

from lms.rules import uploads

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def ooxml(path, marker):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(marker, "<x/>")
    return path


@pytest.mark.parametrize(("name", "problem"), [
    ("plan.pdf", None), ("事業計画 v1.2.pdf", None), ("TPP (final).docx", None), ("plan.final.pdf", None),
    ("../../etc/passwd.pdf", "traversal"), ("..\\boot.pdf", "traversal"), ("a/b.pdf", "traversal"),
    (".hidden.pdf", "traversal"), ("bad\x00.pdf", "traversal"), ("new\nline.pdf", "traversal"),
    ("report.html.pdf", "disguised"), ("invoice.exe.pdf", "disguised"), ("x.SVG.png", "disguised"),
    ("", "empty"), ("   ", "empty"), ("a" * 201 + ".pdf", "long"),
    ("a" * 196 + ".pdf", None), ("a" * 197 + ".pdf", "long"),  # 200 characters pass, 201 do not
    ("plan..pdf", "traversal"), ("..pdf", "traversal"), ("plan.pdf..", "traversal"), ("a..b.pdf", "traversal"),
    (" .hidden.pdf", "traversal"), ("plan.v1.pdf", None), (".", "traversal"), ("XRAY X.pdf", None),
])
def test_name_problems(name, problem):
    assert uploads.name_problem(name) == problem


def test_type_for_name():
    assert uploads.type_for_name("Plan.PDF") == "pdf"
    assert uploads.type_for_name("photo.jpg") == uploads.type_for_name("photo.JPEG") == "jpeg"
    assert uploads.type_for_name("script.js") is None
    assert uploads.type_for_name("noextension") is None


def test_sniff_knows_each_type(tmp_path):
    for name, data, kind in (("a.pdf", PDF, "pdf"), ("a.png", PNG, "png"), ("a.jpg", JPEG, "jpeg")):
        (tmp_path / name).write_bytes(data)
        assert uploads.sniff(tmp_path / name) == kind
    assert uploads.sniff(ooxml(tmp_path / "a.docx", "word/document.xml")) == "docx"
    assert uploads.sniff(ooxml(tmp_path / "a.pptx", "ppt/presentation.xml")) == "pptx"
    assert uploads.sniff(ooxml(tmp_path / "a.xlsx", "xl/workbook.xml")) == "xlsx"


def test_sniff_refuses_disguises(tmp_path):
    html = tmp_path / "fake.pdf"
    html.write_bytes(b"<html><script>alert(1)</script>%PDF-1.4</html>")
    assert uploads.sniff(html) is None
    plain_zip = tmp_path / "fake.docx"
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert uploads.sniff(plain_zip) is None
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert uploads.sniff(broken) is None
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert uploads.sniff(empty) is None


def test_display_name_keeps_japanese_and_normalises():
    assert uploads.display_name("  ｶﾞ計画.pdf ") == "ｶﾞ計画.pdf"
    assert uploads.display_name("e\u0301.pdf") == "\u00e9.pdf"
