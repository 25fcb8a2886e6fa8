"""A completion certificate as a one-page, bilingual (ja/en) A4 landscape PDF.

Everything comes from the certificate's snapshot fields, never from the live user or course, so a
certificate renders the same way for as long as it exists. Rendering reads the bundled font and
nothing else: no database, no network. The layout is black on white with thin borders, so it prints
well in black and white.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import segno
from babel.dates import format_date
from flask_babel import force_locale
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode

from .. import clock
from ..fonts import FALLBACK_FONT_PATH, FONT_PATH
from ..i18n import PROGRAM_LABELS
from ..models import Certificate

# Never a system font, so every server renders the same glyphs; fpdf2 embeds only the glyphs used.
FONT = "IPAexGothic"
FALLBACK_FONT = "DejaVuSans"  # Latin letters IPAexGothic lacks
TOKYO = clock.TOKYO

# Geometry in millimetres; A4 landscape.
PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 22.0  # between the page edge and the footer's outer edges
BODY_W = 233.0
BODY_TOP, BODY_BOTTOM = 22.0, 146.0
FOOTER_TOP, FOOTER_BOTTOM = 152.0, 188.0
QR_SIZE = 30.0
VERIFY_W = 98.0  # the certificate id and verify URL, right of the QR code
SIGN_W = 115.0  # the issuer and signer, bottom right
SIGN_GAP = 12.0  # room above the signature line for a signature or seal
SIGN_LINE_W = 70.0

PT = 25.4 / 72  # millimetres per point
LINE_SPACING = 1.3
MIN_SIZE = 5.0  # pt; never shrink below this


@dataclass(frozen=True)
class _Text:
    """A paragraph to place: its largest font size and how many lines it may wrap to."""

    text: str
    size: float  # pt
    max_lines: int = 1
    space_before: float = 0.0  # mm
    min_size: float = MIN_SIZE  # below this, wrap to more lines rather than shrink further
    wrap: WrapMode = WrapMode.WORD


@dataclass(frozen=True)
class _Fitted:
    """A paragraph broken into lines at the font size chosen for it."""

    lines: list[str]
    size: float
    space_before: float

    @property
    def height(self) -> float:
        return self.space_before + len(self.lines) * _line_height(self.size)


def qr_payload(verify_url: str) -> str:
    """What the QR code encodes: the public verify URL itself, so any phone camera opens it."""
    return verify_url


def render(certificate: Certificate, verify_url: str) -> bytes:
    pdf = _new_document(certificate)
    _draw_border(pdf)
    _draw_body(pdf, certificate)
    _draw_verification(pdf, certificate, verify_url)
    _draw_signature(pdf, certificate.issuer or {})
    return bytes(pdf.output())


def _new_document(certificate: Certificate) -> FPDF:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font(FONT, fname=FONT_PATH)
    pdf.add_font(FALLBACK_FONT, fname=FALLBACK_FONT_PATH)
    pdf.set_fallback_fonts([FALLBACK_FONT])
    # Everything is placed at computed positions: an automatic page break could only add a stray page.
    pdf.set_auto_page_break(False)
    # Metadata from the snapshot, so rendering the same certificate twice gives the same bytes.
    pdf.set_creation_date(certificate.issued_at)
    pdf.set_title(f"修了証 Certificate of Completion — {certificate.course_title_en}")
    pdf.set_author(_bilingual(certificate.issuer or {}, "issuer")[1] or "Skyfront LMS")
    pdf.set_subject(f"Certificate ID {certificate.public_id}")
    pdf.set_creator("Skyfront LMS")
    pdf.set_lang("ja")
    pdf.add_page()
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    return pdf


def _draw_border(pdf: FPDF) -> None:
    """A double frame, thick outside and hairline inside."""
    pdf.set_line_width(0.6)
    pdf.rect(10, 10, PAGE_W - 20, PAGE_H - 20)
    pdf.set_line_width(0.2)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)


def _draw_body(pdf: FPDF, certificate: Certificate) -> None:
    """Title, holder, course, program and dates, centred in the space above the footer."""
    texts = [_Text("修了証", 28), _Text("Certificate of Completion", 14, space_before=1)]
    if certificate.holder_name_ja:
        texts += [_Text(certificate.holder_name_ja, 24, max_lines=2, space_before=9),
                  _Text(certificate.holder_name_latin, 14, max_lines=2, space_before=1)]
    else:  # a foreign trainee: the Latin-script name takes the Japanese name's place
        texts.append(_Text(certificate.holder_name_latin, 24, max_lines=2, space_before=9))
    texts += [
        _Text("上記の者は、次の研修課程を修了したことを証します。", 11, space_before=6),
        _Text("This certifies that the person named above has completed the following course.", 10.5,
              space_before=1),
        _Text(certificate.course_title_ja, 16, max_lines=3, space_before=5),
        _Text(certificate.course_title_en, 13, max_lines=3, space_before=1),
    ]
    labels = _program_labels(certificate.program)
    if labels:
        texts.append(_Text(" / ".join(labels), 10, space_before=4))
    issued = certificate.issued_at
    texts.append(_Text(f"発行日 {_date_ja(issued)} / Date of issue: {_date_en(issued)}", 10, space_before=4))
    if certificate.expires_at is not None:
        expires = certificate.expires_at
        texts.append(_Text(f"有効期限 {_date_ja(expires)} / Valid until: {_date_en(expires)}", 10, space_before=1))
    fitted = _fit_stack(pdf, texts, BODY_W, BODY_BOTTOM - BODY_TOP)
    spare = BODY_BOTTOM - BODY_TOP - sum(f.height for f in fitted)
    _draw_stack(pdf, fitted, (PAGE_W - BODY_W) / 2, BODY_TOP + spare / 2, BODY_W, Align.C)


def _draw_verification(pdf: FPDF, certificate: Certificate, verify_url: str) -> None:
    """Bottom left: the QR code, then the id and the URL in type small enough to fit, large enough to type."""
    qr_y = FOOTER_BOTTOM - QR_SIZE
    pdf.image(_qr_png(verify_url), x=MARGIN, y=qr_y, w=QR_SIZE, h=QR_SIZE)
    texts = [
        _Text("修了証番号 / Certificate ID", 7.5),
        _Text(certificate.public_id, 10, space_before=0.5),
        _Text("検証用URL / Verify at", 7.5, space_before=3),
        _Text(verify_url, 8, space_before=0.5, min_size=7, wrap=WrapMode.CHAR),
    ]
    fitted = _fit_stack(pdf, texts, VERIFY_W, QR_SIZE)
    _draw_stack(pdf, fitted, MARGIN + QR_SIZE + 4, qr_y - 1, VERIFY_W, Align.L)


def _draw_signature(pdf: FPDF, issuer: dict) -> None:
    """Bottom right: issuer, then a signature line over the signer's name and title; each only if given."""
    x = PAGE_W - MARGIN - SIGN_W
    bottom = FOOTER_BOTTOM
    signer_ja, signer_en = _bilingual(issuer, "signer")
    if signer_ja or signer_en:
        title_ja, title_en = _bilingual(issuer, "signer_title")
        texts = [_Text(" ".join(filter(None, (title_ja, signer_ja))), 10, max_lines=2),
                 _Text(", ".join(filter(None, (signer_en, title_en))), 9, max_lines=2)]
        fitted = _fit_stack(pdf, [t for t in texts if t.text], SIGN_W, 16)
        top = bottom - sum(f.height for f in fitted)
        _draw_stack(pdf, fitted, x, top, SIGN_W, Align.C)
        pdf.set_line_width(0.3)
        line_x = x + (SIGN_W - SIGN_LINE_W) / 2
        pdf.line(line_x, top - 1, line_x + SIGN_LINE_W, top - 1)
        bottom = top - SIGN_GAP
    issuer_ja, issuer_en = _bilingual(issuer, "issuer")
    # Organisation names run long: shrink a little before wrapping, which reads worse.
    texts = [_Text(issuer_ja, 10, min_size=8), _Text(issuer_en, 8.5, space_before=0.5, min_size=7),
             _Text(issuer.get("issuer_url") or "", 7.5, space_before=0.5, wrap=WrapMode.CHAR)]
    fitted = _fit_stack(pdf, [t for t in texts if t.text], SIGN_W, bottom - FOOTER_TOP)
    _draw_stack(pdf, fitted, x, bottom - sum(f.height for f in fitted), SIGN_W, Align.C)


def _qr_png(verify_url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    # No quiet zone in the image: the white page around it serves, and the code lines up with the text.
    segno.make(qr_payload(verify_url), error="m").save(buffer, kind="png", scale=10, border=0)
    buffer.seek(0)
    return buffer


def _fit_stack(pdf: FPDF, texts: list[_Text], width: float, max_height: float) -> list[_Fitted]:
    """Each paragraph at the largest size that keeps it within its lines; all scaled down until they fit."""
    scale = 1.0
    while True:
        fitted = [_fit(pdf, text, width, scale) for text in texts]
        if sum(f.height for f in fitted) <= max_height or scale < 0.2:
            return fitted
        scale *= 0.9


def _fit(pdf: FPDF, text: _Text, width: float, scale: float) -> _Fitted:
    size = text.size * scale
    while True:
        pdf.set_font(FONT, size=size)
        lines = pdf.multi_cell(width, text=text.text, wrapmode=text.wrap, dry_run=True,
                               output=MethodReturnValue.LINES)
        if len(lines) <= text.max_lines or size <= text.min_size:
            return _Fitted(lines, size, text.space_before * scale)
        size = max(text.min_size, size - 0.5)


def _draw_stack(pdf: FPDF, fitted: list[_Fitted], x: float, y: float, width: float, align: Align) -> None:
    for paragraph in fitted:
        y += paragraph.space_before
        pdf.set_font(FONT, size=paragraph.size)
        for line in paragraph.lines:
            pdf.set_xy(x, y)
            pdf.cell(width, _line_height(paragraph.size), line, align=align)
            y += _line_height(paragraph.size)


def _line_height(size: float) -> float:
    return size * PT * LINE_SPACING


def _bilingual(issuer: dict, key: str) -> tuple[str, str]:
    """(ja, en) of a {"ja", "en"} entry in the issuer snapshot; empty strings where missing."""
    texts = issuer.get(key) or {}
    return texts.get("ja") or "", texts.get("en") or ""


def _program_labels(program: str) -> tuple[str, str] | None:
    label = PROGRAM_LABELS.get(program)
    if label is None:
        return None
    with force_locale("ja"):
        ja = str(label)
    with force_locale("en"):
        en = str(label)
    return ja, en


def _date_ja(value: datetime) -> str:
    day = value.astimezone(TOKYO).date()
    return f"{day.year}年{day.month}月{day.day}日"


def _date_en(value: datetime) -> str:
    return format_date(value.astimezone(TOKYO).date(), "d MMMM y", locale="en")

