"""Every page of the app, for each role that reaches it, in Japanese and in English (issue 13 §6).

The list of pages comes from ``app.url_map``: every GET route needs a sample below, or a place in the short list of
routes that answer something other than an HTML page; a new route without either fails the first test. Each page is
checked with axe-core (every rule, best practices included: 0 violations), for no sideways scrolling at 320 px and
1,280 px, and for no duplicate ids. Key pages are saved as screenshots at 1,280 px and 390 px in both languages under
test-results/pages/. Further tests check the grading view's layout and where each role lands after logging in.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import update

from lms.extensions import db
from lms.models import User

from ..conftest import PASSWORD
from .conftest import RESULTS
from .site_data import PEOPLE, seed

LANGUAGES = {"ja": "ja-JP", "en": "en-US"}
WIDTHS = (320, 1280)
SHOTS = RESULTS / "pages"

# Routes that answer no HTML page: files, JSON, feeds, redirects to files. Everything else is visited.
NOT_HTML = {
    "static", "main.favicon", "main.healthz", "credentials.jwks", "credentials.issuer",
    "credentials.revocation_list", "certificates.status_json", "certificates.pdf", "credentials.download",
    "assignments.download", "admin.import_template", "calendar.feed", "catalog.cover_image", "content.download",
    "content.version_package",
}

# Findings that only the stylesheet can fix, as "<check> <endpoint> <width>". The design branch rewrites
# static/src/css (files 00-50), so they are listed here (and written to test-results/pages/known-findings.txt on
# every run, with the elements at fault) instead of being patched twice. Empty this after the new design lands:
# - .card-list's minmax(20rem, 1fr) is wider than a 320 px screen (home, catalog, dashboard, my certificates);
# - .table-wrap scrolls but is not positioned, so the .visually-hidden spans in its tables (position: absolute)
#   escape it and widen the page (quiz overview, cohort page, report: 810 px at 1,280 px);
# - the verification page's long link (p.meta > a) does not wrap (overflow-wrap: anywhere);
# - the admin certificates search row (min-width 12rem input plus select) and the report's filters and charts
#   (.chart-row minmax(20rem, 1fr)) are wider than 320 px.
KNOWN_CSS_FINDINGS: set[str] = set()  # overflows only the stylesheet can fix; none left


def samples(site) -> dict[str, list[tuple[str, str]]]:
    """endpoint -> [(who, path)]: the pages to visit and as whom ("visitor" is not logged in)."""
    course, lesson = site.lesson
    _, quiz = site.quiz
    _, assignment = site.assignment
    cohort = site.cohort_id
    return {
        "main.index": [("visitor", "/")],
        "auth.login": [("visitor", "/auth/login")],
        "auth.forgot_password": [("visitor", "/auth/forgot")],
        "auth.register": [("visitor", "/auth/register")],  # 404 unless open registration: the error page
        "auth.accept_invitation": [("visitor", f"/auth/invitation/{site.invitation}")],
        "auth.reset_password": [("visitor", f"/auth/reset/{site.reset}")],
        "catalog.catalog": [("visitor", "/courses/")],
        "catalog.course": [("visitor", f"/courses/{course}/"), ("trainee", f"/courses/{course}/"),
                           ("mentor", f"/courses/{course}/"), ("trainee", "/courses/regulatory-science/")],
        "certificates.verify": [("visitor", f"/verify/{site.certificate}")],
        "learn.dashboard": [("trainee", "/dashboard")],
        "learn.lesson": [("trainee", f"/courses/{course}/lessons/{lesson}")],
        "quiz.overview": [("trainee", f"/courses/{course}/quizzes/{quiz}")],
        "quiz.attempt": [("trainee", f"/quiz-attempts/{site.open_attempt}")],
        "quiz.finish": [("trainee", f"/quiz-attempts/{site.open_attempt}/finish")],
        "quiz.review": [("trainee", f"/quiz-attempts/{site.finished_attempt}/review")],
        "quiz.analysis": [("mentor", f"/courses/{course}/quizzes/{quiz}/analysis")],
        "assignments.assignment_page": [("trainee", f"/courses/{course}/assignments/{assignment}")],
        "assignments.queue": [("mentor", "/reviews/")],
        "assignments.review_page": [("mentor", f"/submissions/{site.waiting_submission}"),
                                    ("mentor", f"/submissions/{site.reviewed_submission}")],
        "certificates.mine": [("trainee", "/certificates/")],
        "account.profile": [("trainee", "/account/"), ("admin", "/account/")],
        "notifications.index": [("mentor", "/notifications/"), ("trainee", "/notifications/")],
        "announcements.show": [("trainee", f"/announcements/{site.announcement}")],
        "admin.home": [("admin", "/admin/")],
        "assignments.exemplar": [("mentor", f"/courses/{course}/assignments/{assignment}/exemplar")],
        "content.index": [("admin", "/admin/content/")],
        "content.history": [("admin", f"/admin/content/{course}/history")],
        "content.compare_versions": [("admin", f"/admin/content/{course}/compare")],
        "content.preview": [("admin", f"/admin/content/staged/{site.staged}")],
        "content.preview_item": [("admin", f"/admin/content/staged/{site.staged}/lesson/{site.staged_lesson}"),
                                 ("admin", f"/admin/content/staged/{site.staged}/lesson/{site.staged_lesson}?lang=en")],
        "audit.index": [("admin", "/admin/audit")],
        "certificates.admin_index": [("admin", "/admin/certificates")],
        "certificates.admin_certificate": [("admin", f"/admin/certificates/{site.certificate}")],
        "admin.cohorts_page": [("admin", "/admin/cohorts")],
        "admin.cohort": [("admin", f"/admin/cohorts/{cohort}")],
        "admin.new_announcement": [("admin", f"/admin/cohorts/{cohort}/announcements/new")],
        "admin.edit_cohort": [("admin", f"/admin/cohorts/{cohort}/edit")],
        "admin.import_people": [("admin", f"/admin/cohorts/{cohort}/import")],
        "admin.remove_cohort_member": [("admin", f"/admin/cohorts/{cohort}/members/{site.member_id}/remove")],
        "reports.report": [("admin", f"/admin/cohorts/{cohort}/report")],
        "admin.throttles_page": [("admin", "/admin/throttles")],
        "admin.users": [("admin", "/admin/users")],
        "admin.user": [("admin", f"/admin/users/{site.ids['trainee']}")],
        "admin.new_user": [("admin", "/admin/users/new")],
    }


# Key pages saved as screenshots: name -> (who, endpoint, index among that endpoint's samples).
KEY_PAGES = {
    "dashboard": ("learn.dashboard", 0), "course": ("catalog.course", 1), "lesson": ("learn.lesson", 0),
    "quiz": ("quiz.attempt", 0), "assignment": ("assignments.assignment_page", 0),
    "review-queue": ("assignments.queue", 0), "grading": ("assignments.review_page", 0),
    "admin-home": ("admin.home", 0), "cohort": ("admin.cohort", 0), "report": ("reports.report", 0),
    "certificates": ("certificates.mine", 0), "verify": ("certificates.verify", 0),
}
LANDING = {"trainee": "/dashboard", "mentor": "/reviews/", "admin": "/admin/"}


@pytest.fixture(scope="session")  # seeded once: pytest may run this module's browser and plain tests apart
def site(live_app, base_url):
    with live_app.app_context():
        data = seed(live_app)
        db.session.remove()
    return data


@pytest.fixture(scope="module")
def pages(browser, base_url, site):
    """One logged-in page per role, reused for every visit; the visitor gets one page per language."""
    contexts, opened = [], {}
    for who in ("trainee", "mentor", "admin"):
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.goto("/auth/login")
        page.locator("input[name=email]").fill(PEOPLE[who][0])
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)
        opened[who] = page
    for lang, locale in LANGUAGES.items():
        context = browser.new_context(base_url=base_url, locale=locale, viewport={"width": 1280, "height": 800})
        contexts.append(context)
        opened[f"visitor-{lang}"] = context.new_page()
    yield opened
    for context in contexts:
        context.close()


def speak(in_app, lang: str) -> None:
    """Everyone logged in reads the site in ``lang`` (their saved language wins over the browser's)."""
    with in_app():
        emails = [email for email, *_ in PEOPLE.values()]
        db.session.execute(update(User).where(User.email.in_(emails)).values(locale=lang))


def width_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def sticking_out(page) -> list[str]:
    """The outermost elements reaching past the right edge (what to fix), as tag.class paths."""
    return page.evaluate("""() => {
        const edge = window.innerWidth + 0.5, name = el => el.tagName.toLowerCase() +
            (el.classList.length ? '.' + [...el.classList].join('.') : '') + (el.id ? '#' + el.id : '');
        // A scrolling box that fits clips what is inside it, except absolutely positioned descendants
        // (such as .visually-hidden text) when the box itself is not positioned.
        const escapes = el => {
            if (el.getBoundingClientRect().right <= edge) return false;
            const absolute = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
            for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
                const style = getComputedStyle(a);
                if (style.overflowX !== 'visible' && a.getBoundingClientRect().right <= edge &&
                    (!absolute || style.position !== 'static')) return false;
            }
            return true;
        };
        const out = new Set();
        for (const el of document.body.querySelectorAll('*')) {
            if (!escapes(el) || (el.parentElement && el.parentElement !== document.body && escapes(el.parentElement))) continue;
            let path = [], node = el;
            while (node && node !== document.body && path.length < 4) { path.unshift(name(node)); node = node.parentElement; }
            out.add(path.join(' > '));
        }
        return [...out].slice(0, 4);
    }""")


def duplicate_ids(page) -> list[str]:
    return page.evaluate("""() => {
        const seen = {}, twice = new Set();
        for (const el of document.querySelectorAll('[id]')) { if (seen[el.id]) twice.add(el.id); seen[el.id] = 1; }
        return [...twice];
    }""")


def test_every_get_route_has_a_sample_page(live_app, site):
    routes = {rule.endpoint for rule in live_app.url_map.iter_rules() if "GET" in rule.methods}
    listed = set(samples(site))
    assert routes - NOT_HTML - listed == set(), "a GET route without a sample page: add it to samples()"
    assert listed - routes == set() and NOT_HTML <= routes, "a sample or skip for a route that no longer exists"


def test_each_role_lands_where_its_work_is(pages, base_url):
    for who, path in LANDING.items():
        page = pages[who]
        page.goto("/")
        assert page.url == base_url + path, who
    assert pages["mentor"].locator(".status-counts").count() == 1  # the queue with its counts


def test_every_page_in_both_languages(pages, site, in_app):
    axe = Axe()
    problems, css_findings = [], []
    shots = {(endpoint, index): name for name, (endpoint, index) in KEY_PAGES.items()}
    SHOTS.mkdir(parents=True, exist_ok=True)
    visited = 0
    for lang in LANGUAGES:
        speak(in_app, lang)
        for endpoint, visits in samples(site).items():
            for index, (who, path) in enumerate(visits):
                page = pages[f"visitor-{lang}" if who == "visitor" else who]
                page.set_viewport_size({"width": 1280, "height": 800})
                page.goto(path)
                visited += 1
                where = f"{lang} {who} {path}"
                assert page.locator("html").get_attribute("lang") == lang, where
                found = axe.run(page, options={"resultTypes": ["violations"]}).response["violations"]
                for violation in found:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{where}: axe {violation['id']} ({violation['impact']}) at {targets}")
                if twice := duplicate_ids(page):
                    problems.append(f"{where}: duplicate ids {twice}")
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    if (extra := width_overflow(page)) > 0:
                        finding = f"{where}: {extra} px wider than the screen at {width} px: {sticking_out(page)}"
                        known = f"overflow {endpoint} {width}" in KNOWN_CSS_FINDINGS
                        (css_findings if known else problems).append(finding)
                if name := shots.get((endpoint, index)):
                    for width in (1280, 390):
                        page.set_viewport_size({"width": width, "height": 800 if width > 400 else 844})
                        page.screenshot(path=SHOTS / f"{name}-{lang}-{width}.png", full_page=True)
    (SHOTS / "known-findings.txt").write_text("\n".join(css_findings) + "\n", encoding="utf-8")
    assert visited >= 2 * sum(len(v) for v in samples(site).values())
    assert problems == [], "\n".join(problems)


def test_the_grading_view_side_by_side_at_1280_and_stacked_at_390(pages, site, in_app):
    speak(in_app, "en")
    page = pages["mentor"]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/submissions/{site.waiting_submission}")
    work, panel = page.locator(".grading-work"), page.locator(".grading-panel")
    total = page.locator(".grading-total")
    assert panel.bounding_box()["x"] > work.bounding_box()["x"] + work.bounding_box()["width"] - 1  # beside
    # Each section's comment box is beside that section's text.
    for section in page.locator(".grading-section").all():
        text, comment = section.locator(".grading-section-text"), section.locator(".grading-section-comment")
        assert comment.bounding_box()["x"] >= text.bounding_box()["x"] + text.bounding_box()["width"]
        assert abs(comment.bounding_box()["y"] - text.bounding_box()["y"]) < 20  # side by side, tops aligned
    # The rubric stays in view while the submission scrolls; the total and the pass mark are always shown.
    assert "Pass mark:" in total.inner_text()
    page.locator(".grading-section").last.locator("textarea").scroll_into_view_if_needed()
    box = total.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 800  # the panel (sticky) keeps the total in view
    page.evaluate("window.scrollTo(0, 0)")
    # The running total follows the levels picked, and says when it is enough to approve.
    for fieldset in page.locator("fieldset.criterion").all():
        fieldset.locator("input[type=radio]").last.check()
    assert total.locator(".grading-total-status").inner_text() == "Enough to approve."
    highest = sum(int(f.locator("input[type=radio]").last.get_attribute("value"))
                  for f in page.locator("fieldset.criterion").all())
    assert total.locator("output").inner_text() == str(highest)
    first = page.locator("fieldset.criterion").first.locator("input[type=radio]")
    first.first.check()
    lowered = highest - int(first.last.get_attribute("value")) + int(first.first.get_attribute("value"))
    assert total.locator("output").inner_text() == str(lowered)

    # A phone: the rubric below the work, the total pinned to the bottom of the screen while the work is read.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/submissions/{site.waiting_submission}")
    assert panel.locator("fieldset.criterion").first.bounding_box()["y"] > work.bounding_box()["y"] + 100
    page.locator(".grading-section").first.scroll_into_view_if_needed()
    box = total.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 844 + 1
    assert width_overflow(page) <= 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "grading-en-390-scrolled.png")
