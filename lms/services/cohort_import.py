"""Adding people to a cohort in bulk: pasted e-mail addresses, or a spreadsheet saved as CSV.

Two steps and nothing kept on the server in between. ``decode`` turns an upload into text, ``plan`` says for
every row what would happen (or what is wrong with it), the preview shows that plan and posts the same text
back with the plan's ``digest``; ``apply`` carries the plan out in one transaction only if planning the text
again gives the same digest, so a preview that went stale (someone else changed the cohort, the form was sent
twice) is shown again instead of being applied.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..fonts import unprintable
from ..i18n import LANGUAGES, join_list
from ..models import Cohort, CohortMember, CohortPairing, Role, User
from ..rules import email as email_rule
from . import accounts, audit
from .cohorts import CohortError, _enrol

MAX_BYTES = 256 * 1024  # a few thousand rows; the preview posts the text back as a form field
MAX_ROWS = 2000

# Column headings people use, in either language (compared after NFKC, lower case, single spaces).
COLUMNS = {
    "email": ("email", "e-mail", "e-mail address", "email address", "mail", "mail address", "メールアドレス",
              "メール", "電子メール", "eメール", "eメールアドレス"),
    "role": ("role", "role in the cohort", "役割", "ロール", "コホートでの役割", "区分"),
    "name_ja": ("name", "name_ja", "name in japanese", "japanese name", "氏名", "名前", "氏名(日本語)", "日本語氏名"),
    "name_latin": ("name_latin", "name in latin script", "latin name", "name (latin)", "name in english",
                   "氏名(ローマ字)", "ローマ字氏名", "ローマ字", "英語氏名", "氏名(英語)"),
    "organisation": ("organisation", "organization", "company", "startup", "所属", "会社名", "組織", "所属組織",
                     "所属(スタートアップ)"),
    "language": ("language", "locale", "言語", "使用言語"),
    "mentors": ("mentors", "mentor", "mentor e-mail", "mentor email", "named mentors", "担当メンター",
                "メンター", "担当メンターのメールアドレス"),
}
ROLE_WORDS = {"trainee": "trainee", "受講者": "trainee", "受講生": "trainee", "研修生": "trainee", "mentor": "mentor",
              "メンター": "mentor"}
LANGUAGE_WORDS = {"ja": "ja", "japanese": "ja", "日本語": "ja", "en": "en", "english": "en", "英語": "en"}
# Template headings, in the admin's language (the download and the page's help).
TEMPLATE_HEADINGS = (("email", _l("E-mail address")), ("role", _l("Role in the cohort")),
                     ("name_ja", _l("Name in Japanese")), ("name_latin", _l("Name in Latin script")),
                     ("organisation", _l("Organisation")), ("language", _l("Language")),
                     ("mentors", _l("Named mentors")))

# What happens to a row.
ADD, CREATE, PRESENT, ERROR = "add", "create", "present", "error"


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").strip().lower().split())


def _address(text: str) -> str:
    """An address as typed in a Japanese office: full-width letters and "＠" become ASCII (NFKC)."""
    return accounts.normalize_email(unicodedata.normalize("NFKC", text or ""))


HEADING_TO_COLUMN = {_norm(heading): column for column, headings in COLUMNS.items() for heading in headings}


def _headings() -> dict[str, str]:
    """Known headings, plus the template's own in every language (a downloaded template always reads back)."""
    known = dict(HEADING_TO_COLUMN)
    for language in LANGUAGES:
        with force_locale(language):
            known.update({_norm(str(label)): column for column, label in TEMPLATE_HEADINGS})
    return known


class UnreadableInput(Exception):
    """The input as a whole cannot be read (wrong encoding, a workbook instead of CSV, too large)."""

    def __init__(self, message):
        # Plain text, never the lazy string: Jinja trusts a lazy string's __html__, and these carry the user's text.
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class Row:
    line: int
    email: str
    role: str
    name_ja: str = ""
    name_latin: str = ""
    organisation: str = ""
    language: str = ""
    mentors: list[str] = field(default_factory=list)
    action: str = ""
    errors: list[str] = field(default_factory=list)  # in the reader's language
    new_pairings: list[str] = field(default_factory=list)  # mentor addresses this row would name
    user: User | None = None

    def fail(self, message) -> None:
        self.errors.append(str(message))  # str: a lazy string would reach the page unescaped (see UnreadableInput)
        self.action = ERROR


@dataclass
class Plan:
    rows: list[Row]
    default_role: str
    create_accounts: bool
    notices: list = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def changes(self) -> int:
        return sum(1 for row in self.rows if row.action in (ADD, CREATE) or row.new_pairings)

    @property
    def digest(self) -> str:
        """What the admin saw: every row's outcome. Equal digests mean applying does what the preview said."""
        seen = [[r.line, r.email, r.role, r.action, r.name_ja, r.name_latin, r.organisation, r.language,
                 r.new_pairings] for r in self.rows]
        blob = json.dumps([seen, self.default_role, self.create_accounts], ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Result:
    added: int
    created: int
    pairings: int


def decode(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 (with or without BOM), Shift_JIS as Excel saves it, or UTF-16."""
    if len(data) > MAX_BYTES:
        raise UnreadableInput(_l("The file is larger than %(kb)d KB. Split it into smaller files.", kb=MAX_BYTES // 1024))
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableInput(_l("This is an Excel workbook, not a CSV file. In Excel choose “Save As” and the "
                              "type “CSV UTF-8” or “CSV”, then upload that file."))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encodings = ("utf-16",)  # Excel's "Unicode text"
    else:
        encodings = ("utf-8-sig", "cp932")  # cp932: the Shift_JIS that Windows and Excel in Japan write
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnreadableInput(_l("The file is not text in UTF-8 or Shift_JIS. Save it from Excel as “CSV UTF-8” or “CSV”."))


def _cells(text: str) -> list[tuple[int, list[str]]]:
    """Rows of cells with their line numbers; tab-separated when pasted from a spreadsheet, else CSV."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((line for line in lines if line.strip()), "")
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    rows = []
    ended = 0  # the line the previous record ended on: a quoted cell may span several lines
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((ended + 1, [cell.strip() for cell in cells]))
            ended = reader.line_num
    except csv.Error as error:
        raise UnreadableInput(_l("Line %(line)d cannot be read as CSV: %(error)s", line=reader.line_num,
                              error=str(error))) from None
    return rows


def _read_rows(text: str, default_role: str) -> list[Row]:
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise UnreadableInput(_l("The list is longer than %(kb)d KB. Split it into smaller parts.", kb=MAX_BYTES // 1024))
    rows = _cells(text.lstrip("\ufeff"))
    if not rows:
        raise UnreadableInput(_l("There is nothing to import. Paste e-mail addresses or choose a CSV file."))
    known = _headings()
    headings = [known.get(_norm(cell)) for cell in rows[0][1]]
    result = _table(rows, headings, default_role) if any(headings) else _address_list(rows, default_role)
    if len(result) > MAX_ROWS:
        raise UnreadableInput(_l("There are more than %(n)d rows. Split the list into smaller parts.", n=MAX_ROWS))
    return result


def _address_list(rows, default_role: str) -> list[Row]:
    """No heading row: a list of addresses, several per line allowed, “Name <address>” as mail programs copy them."""
    result = []
    for line, cells in rows:
        for part in re.split(r"[,;、，；\t]+", ",".join(cells)):
            bracketed = re.findall(r"<([^<>]*)>", part)
            # "Name <address>": the address, and the name for a new account; otherwise every word is meant as an
            # address (and shown if it is not).
            name = _display_name(part) if len(bracketed) == 1 else ""
            for token in bracketed or part.split():
                row = Row(line=line, email=_address(token), role=default_role)
                if JAPANESE.search(name):
                    row.name_ja = name
                else:
                    row.name_latin = name
                result.append(row)
    return result


# Kana, CJK ideographs and half-width katakana: a display name with any of these is a Japanese name.
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _display_name(part: str) -> str:
    """The name before “<address>” as mail programs copy it, without quotes: "New Trainee Two" <t@…> → New Trainee Two."""
    name = part[:part.index("<")].strip()
    return " ".join(name.strip("\"'“”「」").split())


def _table(rows, headings, default_role: str) -> list[Row]:
    heading_line, heading_cells = rows[0]
    if "email" not in headings:
        raise UnreadableInput(_l("The first row has column headings but none for the e-mail address. "
                              "Name that column “%(heading)s”.", heading=_l("E-mail address")))
    repeated = {h for h in headings if h and headings.count(h) > 1}
    if repeated:
        raise UnreadableInput(_l("The heading row names the same column twice: %(columns)s.",
                              columns=join_list(heading_cells[i] for i, h in enumerate(headings) if h in repeated)))
    result = []
    for line, cells in rows[1:]:
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headings) if h}
        row = Row(line=line, email=_address(values.get("email", "")), role=default_role,
                  name_ja=values.get("name_ja", ""), name_latin=values.get("name_latin", ""),
                  organisation=values.get("organisation", ""))
        extra = [cell for i, cell in enumerate(cells) if cell and (i >= len(headings) or not headings[i])]
        if extra:
            # Text under no known heading would be silently dropped: say so instead.
            row.fail(_l("This row has text in a column without a known heading: %(text)s", text=extra[0][:60]))
        if values.get("role"):
            role = ROLE_WORDS.get(_norm(values["role"]))
            if role is None:
                row.fail(_l("Unknown role “%(role)s”: write trainee or mentor (受講者 or メンター).",
                            role=values["role"][:40]))
            else:
                row.role = role
        if values.get("language"):
            row.language = LANGUAGE_WORDS.get(_norm(values["language"]), "")
            if not row.language:
                row.fail(_l("Unknown language “%(language)s”: write ja or en.", language=values["language"][:40]))
        named = re.split(r"[\s,;、]+", unicodedata.normalize("NFKC", values.get("mentors", "")))
        row.mentors = list(dict.fromkeys(_address(m) for m in named if m))  # each mentor once
        result.append(row)
    return result


def plan(cohort: Cohort, text: str, default_role: str, create_accounts: bool) -> Plan:
    """What importing ``text`` into the cohort would do, row by row. Reads the database in four queries."""
    if default_role not in ("trainee", "mentor"):
        default_role = "trainee"
    rows = _read_rows(text, default_role)
    emails = {row.email for row in rows} | {m for row in rows for m in row.mentors}
    users = {}
    if emails:
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    present = set(db.session.execute(select(CohortMember.user_id, CohortMember.role)
                                     .where(CohortMember.cohort_id == cohort.id)).all())
    paired = set(db.session.execute(select(CohortPairing.trainee_id, CohortPairing.mentor_id)
                                    .where(CohortPairing.cohort_id == cohort.id)).all())
    first_line: dict[tuple[str, str], int] = {}
    created: dict[str, int] = {}
    for row in rows:
        _check_row(row, users.get(row.email), present, create_accounts, first_line)
        if row.action == CREATE:
            if row.email in created:
                row.fail(_l("A new account is created once, with one role: this address is on line %(line)d "
                            "already. Give it the other role on the person's page afterwards.",
                            line=created[row.email]))
            else:
                created[row.email] = row.line
    # Mentors named by trainees: this cohort's mentors, already or by another row of this import.
    mentors_here = {u.email for u in users.values() if (u.id, "mentor") in present}
    mentors_here |= {row.email for row in rows if row.role == "mentor" and row.action in (ADD, CREATE, PRESENT)}
    for row in rows:
        if not row.mentors:
            continue
        if row.role != "trainee":
            row.fail(_l("Only trainees have named mentors; leave that column empty for mentors."))
            continue
        for mentor_email in row.mentors:
            if mentor_email == row.email:
                row.fail(_l("Nobody mentors their own work."))
            elif mentor_email not in mentors_here:
                row.fail(_l("%(email)s is not a mentor in this cohort. Add them as a mentor on a row of their own.",
                            email=mentor_email))
            elif not (row.user and mentor_email in users
                      and (row.user.id, users[mentor_email].id) in paired):
                row.new_pairings.append(mentor_email)
        if row.action == ERROR:
            row.new_pairings = []
    result = Plan(rows, default_role, create_accounts)
    if cohort.mentor_mode == "all" and any(row.new_pairings for row in rows):
        result.notices.append(str(_l("This cohort lets every mentor see every trainee. The named mentors are saved "
                                 "and apply when you switch the cohort to named mentors.")))
    return result


def _check_row(row: Row, user: User | None, present, create_accounts: bool, first_line) -> None:
    if not email_rule.is_address(row.email):  # ASCII only: typed full-width text was read with NFKC
        row.fail(_l("“%(text)s” is not an e-mail address.", text=row.email[:80]) if row.email
                 else _l("The e-mail address is missing."))
        return
    key = (row.email, row.role)
    if key in first_line:
        row.fail(_l("The same address and role are on line %(line)d already.", line=first_line[key]))
        return
    first_line[key] = row.line
    for value, limit in ((row.name_ja, 120), (row.name_latin, 120), (row.organisation, 200)):
        if len(value) > limit:
            row.fail(_l("“%(text)s…” is longer than %(n)d characters.", text=value[:20], n=limit))
    if user is None:
        for name in (row.name_ja, row.name_latin):  # the new account's name goes on its certificates
            if lacking := unprintable(name):
                row.fail(_l("This name contains characters that cannot be printed on a certificate: %(chars)s",
                            chars=join_list(lacking)))
        if not create_accounts:
            row.fail(_l("No account has this address. Tick “Create accounts and send invitations” to invite them."))
        elif row.action != ERROR:
            row.action = CREATE
        return
    row.user = user
    if not user.active:
        row.fail(_l("This account is deactivated. Reactivate it on the person's page first."))
    elif not user.has_role(row.role):
        row.fail(_l("This person does not have the %(role)s role. Give it on their page first.",
                    role=_l("trainee") if row.role == "trainee" else _l("mentor")))
    elif row.action != ERROR:
        row.action = PRESENT if (user.id, row.role) in present else ADD


def apply(cohort: Cohort, text: str, default_role: str, create_accounts: bool, digest: str,
          actor: User) -> tuple[Result | None, Plan]:
    """Carry out the previewed plan. Returns (None, the new plan) when it differs from what the admin saw."""
    current = plan(cohort, text, default_role, create_accounts)
    if current.digest != digest:
        return None, current
    try:
        with db.session.begin_nested():  # all rows or none
            result, invitations = _write(cohort, current, actor)
    except (IntegrityError, accounts.AccountError):
        # Someone added the same people (or created the same account) between our check and our writes:
        # nothing of this import is kept.
        raise CohortError(_l("The cohort changed while these people were being added, and nothing was saved. "
                             "Check the preview and add them again.")) from None
    for user, raw in invitations:  # mailed by the job queue once the import is committed
        accounts.send_invitation(user, raw, invited_by=actor)
    return result, current


def _write(cohort: Cohort, current: Plan, actor: User) -> tuple[Result, list]:
    """The plan's rows into the session (the caller commits): accounts, members, named mentors, enrolments."""
    invitations = []
    created = added = pairings = 0
    for row in current.rows:
        if row.action == CREATE:
            role = Role.TRAINEE if row.role == "trainee" else Role.MENTOR
            profile = accounts.Profile(name_ja=row.name_ja, name_latin=row.name_latin, organisation=row.organisation,
                                       locale=row.language if row.language in LANGUAGES else "ja")
            row.user, raw = accounts.add_invited_user(row.email, profile, {role})
            invitations.append((row.user, raw))
            created += 1
        if row.action in (ADD, CREATE):
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=row.user.id, role=row.role))
            added += 1
    db.session.flush()
    mentor_ids = {u.email: u.id for u in db.session.scalars(
        select(User).join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id, CohortMember.role == "mentor"))}
    for row in current.rows:
        for mentor_email in row.new_pairings:
            db.session.add(CohortPairing(cohort_id=cohort.id, trainee_id=row.user.id, mentor_id=mentor_ids[mentor_email]))
            pairings += 1
    new_trainees = [row.user.id for row in current.rows if row.action in (ADD, CREATE) and row.role == "trainee"]
    _enrol(new_trainees, [course.id for course in cohort.courses])
    db.session.flush()
    audit.record("cohort.import", "cohort", cohort.id, {
        "cohort": cohort.name_en, "added": added, "created": created, "pairings": pairings,
        "skipped": current.count(ERROR), "emails": [row.email for row in current.rows if row.action in (ADD, CREATE)]},
        actor=actor)
    return Result(added, created, pairings), invitations


def template_csv() -> bytes:
    """An empty sheet with the headings in the admin's language (Excel-friendly: UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(label) for _, label in TEMPLATE_HEADINGS])
    writer.writerow(["hanako.yamada@example.com", str(_l("trainee")), "山田 花子", "Hanako Yamada",
                     "Skyfront Bio", "ja", "mentor@example.com"])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")
