"""The certificate PDF: one bilingual A4 landscape page, an embedded font subset, a QR code to the verify URL."""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from lms.models import Certificate
from lms.services import certificate_pdf

VERIFY_URL = "https://lms.example.org/certificates/verify/q3Zr7KfT0bWm9XyA2cLp8dVh"
ISSUER = {
    "issuer": {"ja": "神奈川県立産業技術総合研究所", "en": "Kanagawa Institute of Industrial Science and Technology"},
    "issuer_url": "https://www.kistec.jp/",
    "signer": {"ja": "山本 太郎", "en": "Taro Yamamoto"},
    "signer_title": {"ja": "理事長", "en": "President"},
}


def make_certificate(**fields) -> Certificate:
    """In memory only: rendering must not need the database."""
    values = {
        "public_id": "q3Zr7KfT0bWm9XyA2cLp8dVh",
        "holder_name_ja": "山田 花子",
        "holder_name_latin": "Hanako Yamada",
        "course_title_ja": "創薬スタートアップのための顧客発見",
        "course_title_en": "Customer discovery for drug-discovery startups",
        "program": "entrepreneur",
        "issuer": ISSUER,
        "issued_at": datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc),
        "expires_at": None,
    } | fields
    return Certificate(**values)


def render(**fields) -> PdfReader:
    return PdfReader(io.BytesIO(certificate_pdf.render(make_certificate(**fields), VERIFY_URL)))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    """Without whitespace: text extraction breaks wrapped lines wherever the layout did."""
    return re.sub(r"\s+", "", text)


def test_shows_the_holder_the_course_and_how_to_verify(app):
    text = text_of(render())

    for expected in ("修了証", "Certificate of Completion", "山田 花子", "Hanako Yamada",
                     "創薬スタートアップのための顧客発見", "Customer discovery for drug-discovery startups",
                     "q3Zr7KfT0bWm9XyA2cLp8dVh", VERIFY_URL, "グローバル起業家プログラム",
                     "Global entrepreneur program", "神奈川県立産業技術総合研究所",
                     "Kanagawa Institute of Industrial Science and Technology", "https://www.kistec.jp/",
                     "理事長 山本 太郎", "Taro Yamamoto, President", "2026年12月1日", "1 December 2026"):
        assert expected in text


def test_one_a4_landscape_page(app):
    reader = render()

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.89, abs=0.5)
    assert float(box.height) == pytest.approx(595.28, abs=0.5)


def test_embeds_a_subset_of_the_bundled_japanese_font(app):
    page = render().pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]

    assert len(fonts) == 1  # IPAexGothic only: no standard (non-embedded) PDF font
    font = fonts[0]
    assert font["/Subtype"] == "/Type0"
    # A subset's name carries a six-letter tag; fpdf2 always uses MPDFAA.
    assert re.fullmatch(r"/[A-Z]{6}\+IPAexGothic", font["/BaseFont"])
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    embedded = descriptor["/FontFile2"].get_object().get_data()
    assert embedded[:4] == b"\x00\x01\x00\x00"  # a TrueType font program
    assert len(embedded) < certificate_pdf.FONT_PATH.stat().st_size / 20  # the glyphs used, not all 6 MB


def test_long_titles_and_names_still_fit_one_page(app):
    title_ja = ("再生医療等製品の開発と承認申請" * 14)[:200]
    title_en = ("Regulatory strategy for regenerative medicine " * 5)[:200]
    name_ja = ("寿限無寿限無五劫の擦り切れ海砂利水魚" * 7)[:120]
    name_latin = ("Maria Fernanda de los Angeles " * 5)[:120]
    assert (len(title_ja), len(title_en), len(name_ja), len(name_latin)) == (200, 200, 120, 120)

    reader = render(course_title_ja=title_ja, course_title_en=title_en, holder_name_ja=name_ja,
                    holder_name_latin=name_latin, expires_at=datetime(2029, 12, 1, tzinfo=timezone.utc))

    assert len(reader.pages) == 1
    text = squeeze(text_of(reader))
    for expected in (title_ja, title_en, name_ja, name_latin, VERIFY_URL, "TaroYamamoto,President", "有効期限"):
        assert squeeze(expected) in text


def font_sizes(reader: PdfReader) -> dict[str, float]:
    """Each piece of text drawn on page 1 and its font size, in points."""
    sizes = {}

    def visit(text, _cm, _tm, _font, size):
        if text.strip():
            sizes[text.strip()] = size

    reader.pages[0].extract_text(visitor_text=visit)
    return sizes


def test_without_japanese_name_shows_the_latin_name_alone_and_large(app):
    with_ja = font_sizes(render(holder_name_ja="山田 花子", holder_name_latin="Jane Doe"))
    latin_only = font_sizes(render(holder_name_ja="", holder_name_latin="Jane Doe"))

    assert "山田 花子" not in latin_only
    assert latin_only["Jane Doe"] == with_ja["山田 花子"] > with_ja["Jane Doe"]


ISSUER_SNIPPETS = {"神奈川県立", "Kanagawa Institute", "kistec.jp", "山本 太郎", "Taro Yamamoto", "理事長", "President"}


@pytest.mark.parametrize(("missing", "gone"), [
    ("issuer", {"神奈川県立", "Kanagawa Institute"}),
    ("issuer_url", {"kistec.jp"}),
    ("signer", {"山本 太郎", "Taro Yamamoto", "理事長", "President"}),  # a title alone names no one
    ("signer_title", {"理事長", "President"}),
])
def test_omits_a_missing_issuer_element(app, missing, gone):
    issuer = {key: value for key, value in ISSUER.items() if key != missing}

    text = text_of(render(issuer=issuer))

    assert {snippet for snippet in ISSUER_SNIPPETS if snippet not in text} == gone


def test_renders_with_no_issuer_at_all(app):
    reader = render(issuer={})

    assert len(reader.pages) == 1
    assert reader.metadata.author == "Skyfront LMS"
    assert "Hanako Yamada" in text_of(reader)


def test_expiry_shows_both_date_formats(app):
    text = text_of(render(expires_at=datetime(2029, 11, 30, 15, 0, tzinfo=timezone.utc)))

    assert "有効期限 2029年12月1日" in text
    assert "Valid until: 1 December 2029" in text


def test_without_expiry_shows_no_expiry(app):
    text = text_of(render(expires_at=None))

    assert "有効期限" not in text
    assert "Valid until" not in text


def test_dates_are_shown_in_tokyo_time(app):
    text = text_of(render(issued_at=datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)))

    assert "2026年4月1日" in text
    assert "1 April 2026" in text
    assert "3月31日" not in text


def decode_qr_codes(pdf_bytes: bytes) -> list[str]:
    pdf = pypdfium2.PdfDocument(pdf_bytes)
    try:
        image = pdf[0].render(scale=200 / 72).to_pil()
    finally:
        pdf.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)
            if barcode.format == zxingcpp.BarcodeFormat.QRCode]


def test_qr_code_encodes_the_verify_url(app):
    assert certificate_pdf.qr_payload(VERIFY_URL) == VERIFY_URL
    assert decode_qr_codes(certificate_pdf.render(make_certificate(), VERIFY_URL)) == [VERIFY_URL]


def test_qr_code_is_made_from_qr_payload(app, monkeypatch):
    monkeypatch.setattr(certificate_pdf, "qr_payload", lambda url: url + "?from=qr")

    assert decode_qr_codes(certificate_pdf.render(make_certificate(), VERIFY_URL)) == [VERIFY_URL + "?from=qr"]


def test_metadata_comes_from_the_certificate(app):
    reader = render(issued_at=datetime(2026, 12, 1, 3, 4, 5, tzinfo=timezone.utc))

    meta = reader.metadata
    assert meta.title == "修了証 Certificate of Completion — Customer discovery for drug-discovery startups"
    assert meta.author == "Kanagawa Institute of Industrial Science and Technology"
    assert meta.creation_date == datetime(2026, 12, 1, 3, 4, 5, tzinfo=timezone.utc)
    assert reader.trailer["/Root"]["/Lang"] == "ja"


def test_rendering_is_deterministic_and_needs_no_database(app, count_queries):
    certificate = make_certificate()

    with count_queries() as queries:
        first = certificate_pdf.render(certificate, VERIFY_URL)
    second = certificate_pdf.render(certificate, VERIFY_URL)

    assert queries.count == 0
    assert first == second


def test_font_is_the_bundled_one():
    assert certificate_pdf.FONT_PATH.is_file()
    assert certificate_pdf.FONT_PATH.name == "ipaexg.ttf"
    assert certificate_pdf.FONT_PATH.parent.name == "fonts"
