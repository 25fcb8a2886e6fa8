"""An XSS corpus pushed through every place a person's text is shown, and through course content: all inert.

The payloads go in the way people and course authors put them in (the profile form, the admin's cohort form, the
assignment and review forms, a revocation reason, course files through the importer), and every page that shows
them is parsed. One checker (``problems_in``) decides what "inert" means for every page:

- no ``<script>`` element except the layout's own: an empty ``<script src="/static/dist/…" integrity="sha384-…"
  defer>`` loading a built, fingerprinted file (static/src/build.mjs); and none of ``<iframe>``, ``<object>``, ``<embed>``,
  ``<svg>``, ``<math>``, ``<style>``, ``<base>``, ``<frame>``, ``<applet>``, ``<noscript>``, ``<template>``, nor a
  ``<meta http-equiv>``; a ``<link>`` only to /static/;
- no ``on*`` event-handler attribute, no ``style`` or ``srcdoc`` attribute;
- no URL attribute (``href``, ``src``, ``action``, ``formaction``, ``xlink:href``, ...) whose value, with entities
  decoded, whitespace and control characters removed and lower-cased, starts with ``javascript:``, ``vbscript:``,
  ``livescript:`` or ``data:``;
- and, independently of the parser, no raw ``<script``/``<svg``/``<style``/... in the bytes, so that a browser's
  more forgiving parser cannot find what the checker's parser missed.

Plain-text places must also show the payload as typed (escaped, not stripped), and ``{{ 'zq' * 3 }}`` must come out
as written, never evaluated.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.content.helpers import import_courses  # imports and commits, as the CLI does
from lms.extensions import db
from lms.models import Attachment, Certificate, Course, MentorAllocation, Question, QuizAttempt, Submission
from lms.rules.uploads import name_problem
from lms.sanitize import render_markdown

from ..certificates.helpers import CERTIFICATE, enrol_in, finish_lessons, import_certified_course, pass_quiz
from .conftest import PDF, csrf, post

CORPUS = [
    ("script", "<script>alert(1)</script>"),
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("md-javascript-link", "[x](javascript:alert(1))"),
    ("md-mixed-case-scheme", "[x](JaVaScRiPt:alert(1))"),
    ("md-entity-in-scheme", "[x](&#106;avascript:alert(1))"),
    ("md-javascript-image", "![x](javascript:alert(1))"),
    ("md-data-link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("md-autolink", "<javascript:alert(1)>"),
    ("md-vbscript", "[x](vbscript:msgbox(1))"),
    ("md-title-breakout", '[x](https://example.org "t" onmouseover="alert(1)")'),
    ("md-image-alt-breakout", '![x" onerror="alert(1)](https://example.org/x.png)'),
    ("html-javascript-link", '<a href="javascript:alert(1)">x</a>'),
    ("html-hex-entity-scheme", '<a href="&#x6A;avascript:alert(1)">x</a>'),
    ("html-tab-in-scheme", '<a href="java&#9;script:alert(1)">x</a>'),
    ("iframe", '<iframe src="javascript:alert(1)"></iframe><iframe srcdoc="<script>alert(1)</script>">'),
    ("object-embed", '<object data="javascript:alert(1)"></object><embed src="data:text/html,x">'),
    ("style-element", "<style>*{background:url(javascript:alert(1))}</style>"),
    ("style-attribute", '<div style="background:url(javascript:alert(1))">x</div>'),
    ("formaction", '<form><button formaction="javascript:alert(1)">x</button></form>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("double-quote-breakout", '"><script>alert(1)</script>'),
    ("single-quote-breakout", "' onmouseover='alert(1)"),
    ("entities", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("mutation-math-style", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("mutation-noscript", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("template", "{{ 'zq' * 3 }}"),
]
PAYLOADS = [payload for _, payload in CORPUS]
TEMPLATE = "{{ 'zq' * 3 }}"
EVALUATED = "zqzqzq"  # what the template expression would become if anything evaluated it


# --- the checker

FORBIDDEN_ELEMENTS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "style",
                      "base", "noscript", "template", "xmp", "plaintext", "listing", "portal"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset",
                  "ping", "codebase", "cite", "lowsrc", "dynsrc", "longdesc", "manifest", "icon", "archive"}
BAD_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")
RAW_TAG = re.compile(r"<\s*/?\s*(script|svg|math|style|iframe|frame|frameset|object|embed|applet|base|noscript|"
                     r"template|xmp|plaintext|listing)\b", re.IGNORECASE)
# The only script elements a page may hold: empty, deferred, loading a built file with its SRI hash.
OWN_SCRIPT = re.compile(r'<script src="/static/dist/[A-Za-z0-9_./-]+\.js" integrity="sha384-[A-Za-z0-9+/=]+" defer></script>')
CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_data(self, data):
        self.text.append(data)

    def _element(self, tag, attrs):
        shown = f"<{tag} {' '.join(f'{k}={v!r}' for k, v in attrs)}>"
        if tag == "script" and (dict(attrs).get("src") or "").startswith("/static/dist/") and dict(attrs).get("integrity"):
            return  # the layout's own script (OWN_SCRIPT); its bytes are checked in inspect()
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"a <{tag}> element: {shown}")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.problems.append(f"a <meta http-equiv>: {shown}")
        if tag == "link" and not (dict(attrs).get("href") or "").startswith("/static/"):
            self.problems.append(f"a <link> outside /static/: {shown}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute {name}: {shown}")
            elif name in ("style", "srcdoc"):
                self.problems.append(f"a {name} attribute: {shown}")
            elif name in URL_ATTRIBUTES and value:
                normalized = CONTROL_AND_SPACE.sub("", value).lower()
                if normalized.startswith(BAD_SCHEMES):
                    self.problems.append(f"a {normalized.split(':')[0]}: URL in {name}: {shown}")


def inspect(html: str) -> _Inspector:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    for found in RAW_TAG.finditer(OWN_SCRIPT.sub("", html)):
        context = html[max(0, found.start() - 60):found.end() + 60]
        inspector.problems.append(f"raw markup {found.group(0)!r} in the bytes: …{context}…")
    return inspector


def problems_in(html: str) -> list[str]:
    return inspect(html).problems


class Pages:
    """Collects every problem on every page checked, so that one run reports them all."""

    def __init__(self):
        self.problems: list[str] = []
        self.checked = 0

    def check(self, where: str, response, shows=(), status=200):
        self.checked += 1
        html = response.get_data(as_text=True)
        response.close()
        if response.status_code != status:
            self.problems.append(f"{where}: status {response.status_code}, expected {status}")
            if response.status_code >= 500:
                return
        if response.mimetype != "text/html":
            self.problems.append(f"{where}: served as {response.mimetype}")
        inspected = inspect(html)
        self.problems.extend(f"{where}: {problem}" for problem in inspected.problems)
        text = "".join(inspected.text)
        for expected in shows:
            if expected not in text:
                self.problems.append(f"{where}: does not show {expected!r} as text")
        if TEMPLATE in shows and EVALUATED in text:
            self.problems.append(f"{where}: shows {EVALUATED} (a template expression was evaluated)")
        return html

    def add(self, where: str, problem: str):
        self.problems.append(f"{where}: {problem}")

    def assert_clean(self):
        assert not self.problems, f"{len(self.problems)} problems on {self.checked} pages:\n  " + "\n  ".join(
            self.problems)


def expect(pages: Pages, where: str, response, *codes):
    response.close()
    if response.status_code not in codes:
        pages.add(where, f"status {response.status_code}, expected {codes}")
    return response


def path_of(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


# --- the checker and the sanitizer on their own


LIVE = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.example/x.js>", "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>", '<a href="javascript:alert(1)">x</a>', '<a href=" JaVa&#x09;ScRiPt:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>', '<iframe src="https://example.org"></iframe>',
    '<a href="data:text/html,x">x</a>', "<style>*{}</style>", '<p style="color:red">x</p>',
    '<form><button formaction="javascript:alert(1)">x</button></form>', '<math><mtext>x</mtext></math>',
    '<meta http-equiv="refresh" content="0;url=/">', '<object data="x"></object>', '<embed src="x">',
    '<p title="x" onmouseover="alert(1)">x</p>', '<base href="https://evil.example/">',
    '<svg><a xlink:href="javascript:alert(1)">x</a></svg>', '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">',
]
INERT = ['<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>', '<a href="https://example.org" rel="noopener noreferrer">x</a>',
         "<p>' onmouseover='alert(1)</p>", '<input value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">',
         '<a href="/static/x">javascript:alert(1)</a>', "<p>{{ 'zq' * 3 }}</p>"]


@pytest.mark.parametrize("html", LIVE)
def test_the_checker_finds_live_markup(html):
    assert problems_in(html), html


@pytest.mark.parametrize("html", INERT)
def test_the_checker_accepts_escaped_text(html):
    assert problems_in(html) == [], html


def test_the_app_pages_pass_the_checker_without_any_payload(client):
    for path in ("/", "/courses/", "/auth/login", "/auth/forgot", "/no-such-page"):
        html = client.get(path).get_data(as_text=True)
        assert problems_in(html) == [], path


@pytest.mark.parametrize("payload", PAYLOADS, ids=[key for key, _ in CORPUS])
def test_the_sanitizer_leaves_every_payload_inert(payload):
    assert problems_in(render_markdown(payload)) == []
    assert problems_in(render_markdown(f"Text\n\n{payload}\n\n- item {payload}\n\n> {payload}")) == []


def test_the_sanitizer_leaves_the_whole_corpus_inert_at_once():
    assert problems_in(render_markdown("\n\n".join(PAYLOADS))) == []
    assert problems_in(render_markdown(" ".join(PAYLOADS))) == []


# --- people's text: names, organisations, cohorts, submissions, reviews, file names, notifications, certificates


def test_what_people_write_comes_out_inert_everywhere_it_is_shown(app, tmp_path, make_user, as_user,
                                                                  fast_sqlite):
    """Per payload: a trainee and a mentor named with it (through the profile form), a cohort named with it (the
    admin's form), the trainee's work (sections, a file named with it), the mentor's draft, revision request and
    approval (overall and section comments), the certificate that follows, its revocation with the payload as the
    reason; every page that shows any of it is checked, for the trainee, the mentor, the admin and the public."""
    app.config["VERIFY_RATE_LIMIT"] = "10000 per minute"
    course = import_certified_course(tmp_path, issue="automatic")
    office = as_user(make_user("admin", password=None, name_latin="Program Office", locale="en"))
    public = as_user(None)
    pages = Pages()
    url = "/courses/test-course/assignments/plan"
    trainees, cohorts = [], []

    def lock(submission) -> str:
        db.session.refresh(submission)
        return str(submission.lock)

    for i, (key, p) in enumerate(CORPUS):
        lang = ("en", "ja")[i % 2]
        label = f"[{key}]"
        trainee = make_user("trainee", password=None, locale=lang, email=f"trainee{i}@example.org")
        mentor = make_user("mentor", password=None, locale=lang, email=f"mentor{i}@example.org")
        t, m = as_user(trainee), as_user(mentor)

        # Names and organisation, as the profile form saves them.
        for client in (t, m):
            expect(pages, f"{label} profile", post(client, "/account/", {
                "name_ja": p, "name_latin": p, "organisation": p, "locale": lang}), 302)
        pages.check(f"{label} profile page", t.get("/account/"))
        db.session.refresh(trainee)
        if trainee.name_latin != p:
            pages.add(label, f"the profile form stored {trainee.name_latin!r}")

        # A cohort named with the payload, with both of them in it (the admin's forms; flashes name them).
        response = expect(pages, f"{label} new cohort", post(office, "/admin/cohorts", {
            "name_ja": p, "name_en": p, "program": course.program, "starts_on": "2026-04-01"}), 302)
        cohort_url = path_of(response)
        cohorts.append(cohort_url)
        expect(pages, f"{label} cohort courses", post(office, f"{cohort_url}/courses", {"course": str(course.id)}), 302)
        for person, role in ((trainee, "trainee"), (mentor, "mentor")):
            expect(pages, f"{label} cohort member", post(office, f"{cohort_url}/members", {
                "email": person.email, "role": role}), 302)
        pages.check(f"{label} admin's cohort page with its flashes", office.get(cohort_url), shows=[p])
        # Named mentors: the allocation table labels each box with both names.
        expect(pages, f"{label} named mentors", post(office, f"{cohort_url}/mentor-mode", {"mode": "named"}), 302)
        pages.check(f"{label} admin's cohort page with named mentors", office.get(cohort_url), shows=[p])
        expect(pages, f"{label} all mentors again", post(office, f"{cohort_url}/mentor-mode", {"mode": "all"}), 302)
        # A spreadsheet with the payload as a new person's name and organisation, and as an unknown role.
        sheet = io.StringIO()
        csv.writer(sheet).writerows([["email", "name", "organisation", "role"],
                                     [f"new{i}@example.org", p, p, ""], [mentor.email, "", "", p]])
        pages.check(f"{label} bulk import preview", office.raw.post(
            f"{cohort_url}/import", content_type="multipart/form-data", data={
                "csrf_token": csrf(office), "role": "trainee", "create_accounts": "y",
                "file": (io.BytesIO(sheet.getvalue().encode("utf-8")), "people.csv")}), shows=[p])
        finish_lessons(trainee, course)
        pass_quiz(trainee, course)

        # The trainee's draft, with a file named with the payload when such a name is allowed.
        # (names the app refuses, and names with a quote or a semicolon, which multipart headers cannot carry as
        # typed, get no file)
        file_name = f"{p}.pdf"
        attachable = name_problem(file_name) is None and not set('";') & set(file_name)
        files = [(io.BytesIO(PDF), file_name)] if attachable else []
        sections = {"section-problem": p, "section-solution": f"{p}\n\nmark{i}"}
        expect(pages, f"{label} save", t.raw.post(url, content_type="multipart/form-data", data={
            "csrf_token": csrf(t), **sections, "action": "save", "lock": "", "files": files}), 302)
        pages.check(f"{label} trainee's draft and preview", t.get(url),
                    shows=[f"mark{i}"] + ([file_name] if files else []))
        submission = db.session.scalar(select(Submission).where(Submission.user_id == trainee.id))
        expect(pages, f"{label} submit", post(t, url, {**sections, "action": "submit", "lock": lock(submission)}), 302)

        # The mentor: the queue, a draft review, a revision request with comments on every section.
        review = f"/submissions/{submission.id}"
        expect(pages, f"{label} draft review", post(m, f"{review}/review", {
            "action": "save", "comment": p, "section-comment-problem": p, "lock": lock(submission)}), 302)
        pages.check(f"{label} mentor's review page with a draft review", m.get(review),
                    shows=[p, f"mark{i}"] + ([file_name] if files else []))
        expect(pages, f"{label} revision request", post(m, f"{review}/review", {
            "action": "revise", "comment": f"{p}\n\nmark{i}", "section-comment-problem": p,
            "section-comment-solution": f"{p}\n\nsection-mark{i}", "score-evidence": "1", "lock": lock(submission)}), 302)
        pages.check(f"{label} trainee's page with the review", t.get(url), shows=[p, f"mark{i}", f"section-mark{i}"])

        # The trainee revises; the mentor sees the diff and approves, which issues the certificate.
        expect(pages, f"{label} resubmit", post(t, url, {
            "section-problem": f"changed\n{p}", "section-solution": f"{p}\n\nmark{i}", "action": "submit",
            "lock": lock(submission)}), 302)
        pages.check(f"{label} mentor's review page with the diff", m.get(review), shows=[p])
        expect(pages, f"{label} approval", post(m, f"{review}/review", {
            "action": "approve", "comment": p, "score-evidence": "2", "score-clarity": "2",
            "lock": lock(submission)}), 302)
        certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == trainee.id))
        if certificate is None:
            pages.add(label, "no certificate was issued; the certificate pages were not checked")
            continue
        verify = f"/verify/{certificate.public_id}"

        for where, client, path in (("trainee's assignment page", t, url), ("trainee's dashboard", t, "/dashboard"),
                                    ("mentor's notifications", m, "/notifications/"),
                                    ("mentor's queue", m, "/reviews/?state=approved"),
                                    ("admin's user page", office, f"/admin/users/{trainee.id}"),
                                    ("public verification page", public, verify)):
            pages.check(f"{label} {where}", client.get(path), shows=[p])
        data = public.get(f"/api/v1/certificates/{certificate.public_id}")
        if data.mimetype != "application/json" or data.headers.get("X-Content-Type-Options") != "nosniff":
            pages.add(f"{label} verification JSON",
                      f"served as {data.mimetype} ({data.headers.get('X-Content-Type-Options')})")
        elif data.get_json()["holder"] != {"name_ja": p, "name_latin": p}:
            pages.add(f"{label} verification JSON", f"holder {data.get_json()['holder']!r}")

        # Revoked with the payload as the reason: shown to the public, the holder and the admin.
        expect(pages, f"{label} revocation", post(office, f"/admin/certificates/{certificate.public_id}",
                                                  {"reason": p}), 302)
        for where, client, path in (("public verification page, revoked", public, verify),
                                    ("trainee's certificates, revoked", t, "/certificates/"),
                                    ("admin's certificate page, revoked", office,
                                     f"/admin/certificates/{certificate.public_id}")):
            pages.check(f"{label} {where}", client.get(path), shows=[p])
        pages.check(f"{label} trainee's notifications, revoked", t.get("/notifications/"))
        trainees.append(trainee)

    # The lists that show everybody at once.
    total = len(CORPUS) * 2 + 1
    for page in range(1, total // app.config["PAGE_SIZE"] + 2):
        pages.check(f"admin's people list, page {page}", office.get(f"/admin/users?page={page}"))
    listed = []
    for page in range(1, len(cohorts) // app.config["PAGE_SIZE"] + 2):
        response = office.get(f"/admin/cohorts?page={page}")
        listed.append("".join(inspect(response.get_data(as_text=True)).text))
        pages.check(f"admin's cohort list, page {page}", response)
    pages.problems.extend(f"admin's cohort list: does not show {p!r} as text" for p in PAYLOADS
                          if not any(p in text for text in listed))
    for page in range(1, len(CORPUS) // app.config["PAGE_SIZE"] + 2):
        # Revoked, so every row is eligible again: a checkbox labelled with the trainee's name.
        pages.check(f"admin's certificate list, page {page}",
                    office.get(f"/admin/certificates?course=test-course&page={page}"))
    for cohort_url in cohorts[:3]:
        pages.check("admin's certificate list for a cohort",
                    office.get(f"/admin/certificates?course=test-course&cohort={cohort_url.rsplit('/', 1)[1]}"))
    confirm = post(office, "/admin/certificates/issue", {"course": "test-course",
                                                         "user": [str(u.id) for u in trainees]})
    pages.check("admin's confirmation before issuing", confirm, shows=PAYLOADS)
    pages.assert_clean()
    assert len(trainees) == len(CORPUS), "every payload went through the whole flow"


# --- text typed into forms and query strings, shown back


def test_input_shown_back_comes_out_inert(app, make_user, as_user, tmp_path, fast_sqlite):
    """Query strings reflected into pages (search boxes, filters, ``next``, the language switch's return path),
    unknown ids and tokens in URLs, and forms shown back with their errors or after a conflict."""
    app.config.update(RESET_RATE_LIMIT="10000 per hour", LOGIN_RATE_LIMIT_ADDRESS="10000 per hour",
                      LOGIN_RATE_LIMIT_ACCOUNT="10000 per hour", VERIFY_RATE_LIMIT="10000 per minute")
    course = import_certified_course(tmp_path)
    trainee = make_user("trainee", password=None, locale="en")
    enrol_in(trainee, course)
    office, mentor = as_user(make_user("admin", password=None)), as_user(make_user("mentor", password=None))
    enrolled = as_user(trainee)
    public = as_user(None)
    pages = Pages()
    assignment = "/courses/test-course/assignments/plan"
    expect(pages, "first draft", post(enrolled, assignment, {"section-problem": "x", "action": "save", "lock": ""}), 302)
    for key, p in CORPUS:
        q = quote(p, safe="")
        label = f"[{key}]"
        pages.check(f"{label} people search", office.get(f"/admin/users?q={q}"))
        pages.check(f"{label} queue filters", mentor.get(f"/reviews/?state={q}&course={q}&assignment={q}&page={q}"))
        pages.check(f"{label} certificate list filters",
                    office.get(f"/admin/certificates?course={q}&cohort={q}&show={q}&page={q}"))
        pages.check(f"{label} login page with next", public.get(f"/auth/login?next={q}"))
        pages.check(f"{label} catalog with a query string", public.get(f"/courses/?x={q}"))
        pages.check(f"{label} unknown certificate", public.get(f"/verify/{q}"), status=404)
        pages.check(f"{label} unknown reset link", public.get(f"/auth/reset/{q}"), status=404)
        pages.check(f"{label} unknown invitation", public.get(f"/auth/invitation/{q}"), status=404)
        pages.check(f"{label} login form shown back", post(public, "/auth/login", {"email": p, "password": p}))
        pages.check(f"{label} forgotten-password form shown back", post(public, "/auth/forgot", {"email": p}))
        pages.check(f"{label} new person form shown back", post(office, "/admin/users/new", {
            "email": p, "name_ja": p, "name_latin": p, "organisation": p, "trainee": "y"}))
        pages.check(f"{label} new cohort form shown back", post(office, "/admin/cohorts", {
            "name_ja": p, "name_en": p, "program": "regulatory", "starts_on": p}))
        conflict = post(enrolled, assignment, {"section-problem": p, "section-solution": p, "action": "save",
                                               "lock": "999"})
        pages.check(f"{label} assignment form shown back after a conflict", conflict, shows=[p], status=409)
        pages.check(f"{label} password form shown back", post(enrolled, "/account/password", {
            "current": p, "password": p, "confirm": p}), status=400)
        pages.check(f"{label} confirmation page's way back", post(office, "/admin/certificates/issue", {
            "course": "test-course", "user": str(trainee.id), "cohort": p, "show": p}))
        language = post(public, "/language", {"lang": "en", "next": p})
        if language.status_code != 302 or urlsplit(language.headers["Location"]).scheme:
            pages.add(f"{label} language switch", f"{language.status_code} to {language.headers.get('Location')}")
    pages.assert_clean()


# --- course content, imported from files


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def both(text: str) -> str:
    return f"{{ ja = {toml_string(text)}, en = {toml_string(text)} }}"


def write_hostile_course(root) -> None:
    """A course whose every text carries the corpus: one lesson and one quiz question per payload."""
    folder = root / "hostile"
    module = folder / "m"
    module.mkdir(parents=True)
    lessons = [f"l{i:02d}" for i in range(len(CORPUS))]
    # The mark first: the mutation payloads leave an unclosed raw-text element that swallows what follows.
    description = "description-mark\n\n" + "\n\n".join(PAYLOADS)
    certificate = CERTIFICATE.format(issue="automatic", extra="")
    for key, text in (("issuer", "<img src=x onerror=alert(1)> Issuer"), ("signer", '"><script>alert(1)</script>'),
                      ("signer_title", "' onmouseover='alert(1)"), ("description", "<svg onload=alert(1)>")):
        certificate = re.sub(rf"^{key} = .*$", f"{key} = {both(text)}", certificate, count=1, flags=re.M)
    (folder / "course.toml").write_text(f'''program = "regulatory"
enrolment = "open"
title = {both("Course <img src=x onerror=alert(1)> {{ 'zq' * 3 }}")}
description = {both(description)}
{certificate}
[[modules]]
slug = "m"
title = {both("<svg onload=alert(1)> module")}
summary = {both('"><script>alert(1)</script>')}
lessons = [{", ".join(toml_string(s) for s in lessons)}]
''', encoding="utf-8")
    for i, (slug, payload) in enumerate(zip(lessons, PAYLOADS)):
        for lang in ("ja", "en"):
            title = toml_string(payload)
            (module / f"{i:02d}-{slug}.{lang}.md").write_text(
                f"+++\ntitle = {title}\nminutes = 1\n+++\n\n{payload}\n\nlesson-mark{i}\n\n"
                f"- {payload}\n\n> {payload}\n", encoding="utf-8")
    questions = []
    for i, payload in enumerate(PAYLOADS):
        text, feedback = both(f"{payload}\n\nquestion-mark{i}"), both(f"{payload}\n\nfeedback-mark{i}")
        choice, choice_feedback = both(payload), both(f"{payload}\n\nchoice-mark{i}")
        questions.append(f'''
[[questions]]
id = "q{i:02d}"
type = "single"
text = {text}
feedback = {feedback}
[[questions.choices]]
id = "a"
text = {choice}
feedback = {choice_feedback}
[[questions.choices]]
id = "b"
text = {both("right")}
correct = true
''')
    (module / "quiz.toml").write_text(f'''title = {both("<img src=x onerror=alert(1)> quiz")}
intro = {both(description)}
pass_mark = 50
''' + "".join(questions), encoding="utf-8")
    criteria_levels = "\n".join(f'''[[rubric.criteria.levels]]
points = {points}
descriptor = {both(payload)}''' for points, payload in enumerate(PAYLOADS[:6]))
    (module / "assignment-plan.toml").write_text(f'''title = {both("<svg onload=alert(1)> plan")}
prompt = {both(description)}

[[sections]]
id = "problem"
title = {both('"><script>alert(1)</script> section')}
guidance = {both(description)}

[rubric]
pass_points = 1

[[rubric.criteria]]
id = "evidence"
title = {both("<img src=x onerror=alert(1)> criterion")}
description = {both(description)}
{criteria_levels}
''', encoding="utf-8")


def test_course_content_comes_out_inert(app, tmp_path, make_user, as_user, fast_sqlite):
    """Lessons, titles, the description, the quiz (text, choices, feedback), the assignment (prompt, guidance,
    rubric) and the certificate's texts, from files through the importer, on every page that shows them."""
    app.config["VERIFY_RATE_LIMIT"] = "10000 per minute"
    write_hostile_course(tmp_path / "courses")
    import_courses(tmp_path / "courses")
    course = db.session.scalar(select(Course).where(Course.slug == "hostile"))
    assert course is not None
    learner = make_user("trainee", password=None, locale="en", name_latin="Ken Sato")
    mentor_user = make_user("mentor", password=None, locale="ja")
    db.session.add(MentorAllocation(mentor_id=mentor_user.id, trainee_id=learner.id))
    db.session.commit()
    t, mentor, public = as_user(learner), as_user(mentor_user), as_user(None)
    pages = Pages()
    base = "/courses/hostile"
    pages.check("catalog", public.get("/courses/"), shows=["description-mark"])
    pages.check("course page, anonymous", public.get(f"{base}/"), shows=["description-mark"])
    expect(pages, "enrol", post(t, f"{base}/enrol"), 302)
    pages.check("course page, enrolled", t.get(f"{base}/"), shows=["description-mark"])
    pages.check("dashboard", t.get("/dashboard"))
    for i, payload in enumerate(PAYLOADS):
        pages.check(f"lesson {i} ({CORPUS[i][0]})", t.get(f"{base}/lessons/l{i:02d}"), shows=[f"lesson-mark{i}"])
    pages.check("a lesson in Japanese, for a mentor", mentor.get(f"{base}/lessons/l00"), shows=["lesson-mark0"])
    pages.check("quiz overview", t.get(f"{base}/quizzes/m"), shows=["description-mark"])

    def take(choice: str):
        response = post(t, f"{base}/quizzes/m/start")
        attempt = db.session.get(QuizAttempt, int(response.headers["Location"].rsplit("/", 1)[1]))
        pages.check(f"quiz attempt ({choice})", t.get(f"/quiz-attempts/{attempt.id}"),
                    shows=[f"question-mark{i}" for i in range(len(CORPUS))])
        keys = {q.id: q.key for q in db.session.scalars(select(Question))}
        data = [("csrf_token", csrf(t)), ("action", "finish")]
        for qid in attempt.layout["questions"]:
            data += [("shown", str(qid)), (f"q{qid}", choice)]
        expect(pages, "quiz answers", t.raw.post(f"/quiz-attempts/{attempt.id}", data=MultiDict(data)), 302)
        pages.check(f"quiz summary ({choice})", t.get(f"/quiz-attempts/{attempt.id}/finish"))
        expect(pages, "quiz submit", post(t, f"/quiz-attempts/{attempt.id}/submit"), 302)
        assert len(keys) == len(CORPUS)
        return attempt

    wrong = take("a")
    pages.check("quiz review with every choice's feedback", t.get(f"/quiz-attempts/{wrong.id}/review"),
                shows=[f"{mark}-mark{i}" for mark in ("feedback", "choice") for i in range(len(CORPUS))])
    take("b")
    pages.check("item analysis", mentor.get(f"{base}/quizzes/m/analysis"))

    assignment = f"{base}/assignments/plan"
    pages.check("assignment page", t.get(assignment), shows=["description-mark"])
    expect(pages, "assignment submit", post(t, assignment, {"section-problem": "Work", "action": "submit",
                                                            "lock": ""}), 302)
    submission = db.session.scalar(select(Submission).where(Submission.user_id == learner.id))
    pages.check("mentor's review page with the rubric", mentor.get(f"/submissions/{submission.id}"),
                shows=["description-mark"])
    finish_lessons(learner, course)
    db.session.refresh(submission)
    expect(pages, "approval", post(mentor, f"/submissions/{submission.id}/review", {
        "action": "approve", "score-evidence": "5", "comment": "ok", "lock": str(submission.lock)}), 302)
    pages.check("assignment page after approval", t.get(assignment))
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None, "the hostile course's certificate was not issued"
    pages.check("my certificates", t.get("/certificates/"))
    pages.check("verification page", public.get(f"/verify/{certificate.public_id}"), shows=[TEMPLATE])
    pages.check("verification page in Japanese", public.get(f"/verify/{certificate.public_id}",
                                                           headers={"Accept-Language": "ja"}))
    record = public.get(f"/api/v1/certificates/{certificate.public_id}").get_json()
    assert record["course"]["title"]["en"] == "Course <img src=x onerror=alert(1)> {{ 'zq' * 3 }}"
    pages.assert_clean()


# --- hostile input in forms and query strings: refused or ignored, never a server error

HUGE = "99999999999999999999"  # beyond any SQL integer
SUPERSCRIPT_TWO = "²"  # str.isdigit() is true, int() refuses it


@pytest.fixture
def hostile(app, tmp_path, make_user, as_user):
    """A course with an enrolled trainee (a submitted assignment with a file), their allocated mentor, an admin, a
    cohort; crashes answer as a visitor sees them (a 500 page) instead of raising into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config.update(RESET_RATE_LIMIT="10000 per hour", LOGIN_RATE_LIMIT_ADDRESS="10000 per hour",
                      LOGIN_RATE_LIMIT_ACCOUNT="10000 per hour", VERIFY_RATE_LIMIT="10000 per minute")
    course = import_certified_course(tmp_path)
    trainee = make_user("trainee", password=None, locale="en")
    mentor = make_user("mentor", password=None, locale="en")
    enrol_in(trainee, course)
    db.session.add(MentorAllocation(mentor_id=mentor.id, trainee_id=trainee.id))
    db.session.commit()
    t = as_user(trainee)
    assert t.raw.post("/courses/test-course/assignments/plan", content_type="multipart/form-data", data={
        "csrf_token": csrf(t), "section-problem": "x", "section-solution": "y", "action": "submit", "lock": "",
        "files": [(io.BytesIO(PDF), "plan.pdf")]}).status_code == 302
    assert db.session.scalar(select(Submission.state)) == "submitted"
    office = as_user(make_user("admin", password=None, locale="en"))
    cohort = path_of(post(office, "/admin/cohorts", {"name_ja": "一期", "name_en": "First", "program": course.program,
                                                     "starts_on": "2026-04-01"}))
    return SimpleNamespace(course=course, trainee=t, mentor=as_user(mentor), office=office, public=as_user(None),
                           cohort=cohort, submission=db.session.scalar(select(Submission.id)),
                           attachment=db.session.scalar(select(Attachment.id)))


def assert_no_server_error(cases) -> None:
    """``cases``: (label, request to make). A 500, or a crash that even the error page could not answer (it
    propagates out of the app), is a server error."""
    errors = []
    for label, request in cases:
        try:
            response = request()
        except Exception as error:  # any crash is what is reported
            db.session.rollback()
            errors.append(f"{label}: {type(error).__name__} escaped the error page")
            continue
        response.close()
        if response.status_code >= 500:
            errors.append(f"{label}: {response.status_code}")
    assert not errors, "server errors:\n  " + "\n  ".join(errors)


def test_a_lock_that_is_not_a_plain_number_is_a_conflict_not_a_server_error(hostile):
    h = hostile
    assert_no_server_error([
        ("save", lambda: post(h.trainee, "/courses/test-course/assignments/plan", {
            "section-problem": "x", "action": "save", "lock": SUPERSCRIPT_TWO})),
        ("remove attachment", lambda: post(h.trainee, f"/attachments/{h.attachment}/remove",
                                           {"lock": SUPERSCRIPT_TWO})),
        ("review", lambda: post(h.mentor, f"/submissions/{h.submission}/review",
                                {"action": "save", "lock": SUPERSCRIPT_TWO})),
    ])


def test_queue_filters_out_of_range_are_ignored_not_a_server_error(hostile):
    h = hostile
    assert_no_server_error([
        ("course filter", lambda: h.mentor.get(f"/reviews/?course={HUGE}")),
        ("assignment filter", lambda: h.mentor.get(f"/reviews/?assignment={HUGE}")),
        ("admin's course filter", lambda: h.office.get(f"/reviews/?course={HUGE}")),
    ])


def test_cohort_courses_out_of_range_are_ignored_not_a_server_error(hostile):
    h = hostile
    assert_no_server_error([
        ("superscript digit", lambda: post(h.office, f"{h.cohort}/courses", {"course": SUPERSCRIPT_TWO})),
        ("huge id", lambda: post(h.office, f"{h.cohort}/courses", {"course": HUGE})),
    ])


def test_issuing_to_a_superscript_digit_is_ignored_not_a_server_error(hostile):
    h = hostile
    assert_no_server_error([("issue", lambda: post(h.office, "/admin/certificates/issue", {
        "course": "test-course", "user": SUPERSCRIPT_TWO}))])


def test_a_lock_that_is_not_a_number_at_all_is_a_conflict(hostile):
    """The control for the test above: what the app already handles."""
    h = hostile
    for response in (post(h.mentor, f"/submissions/{h.submission}/review", {"action": "save", "lock": "x"}),
                     post(h.mentor, f"/submissions/{h.submission}/review", {"action": "save", "lock": HUGE})):
        response.close()
        assert response.status_code == 409


NUL = "a\x00b"


def test_a_nul_byte_is_refused_not_a_server_error(hostile):
    h = hostile
    cases = [(f"GET {path}", lambda path=path: h.public.get(path)) for path in (
        "/verify/%00", "/api/v1/certificates/%00", "/api/v1/issuers/%00", "/api/v1/issuers/%00/revocations",
        "/courses/%00/", "/auth/reset/%00", "/auth/invitation/%00")]
    cases += [(f"GET {path}", lambda path=path: h.trainee.get(path)) for path in (
        "/courses/test-course/lessons/%00", "/courses/test-course/quizzes/%00", "/courses/test-course/assignments/%00",
        "/certificates/%00.pdf", "/certificates/%00/credential.jwt")]
    cases += [
        ("login form", lambda: post(h.public, "/auth/login", {"email": f"{NUL}@example.org", "password": NUL})),
        ("forgotten password form", lambda: post(h.public, "/auth/forgot", {"email": f"{NUL}@example.org"})),
        ("profile form", lambda: post(h.trainee, "/account/", {"name_ja": NUL, "name_latin": NUL, "organisation": NUL,
                                                       "locale": "en"})),
        ("assignment text", lambda: post(h.trainee, "/courses/test-course/assignments/plan", {
            "section-problem": NUL, "action": "save", "lock": "1"})),
        ("people search", lambda: h.office.get("/admin/users?q=%00")),
        ("queue state filter", lambda: h.mentor.get("/reviews/?state=%00")),
        ("new cohort form", lambda: post(h.office, "/admin/cohorts", {"name_ja": NUL, "name_en": NUL,
                                                              "program": "regulatory", "starts_on": "2026-04-01"})),
        ("new person form", lambda: post(h.office, "/admin/users/new", {
            "email": f"{NUL}@example.org", "name_latin": NUL, "trainee": "y", "locale": "en"})),
        ("certificate list filters", lambda: h.office.get("/admin/certificates?course=%00&cohort=%00&show=%00")),
        ("admin certificate page", lambda: h.office.get("/admin/certificates/%00")),
    ]
    assert_no_server_error(cases)
