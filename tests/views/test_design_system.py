"""The design system's components as HTML: the header's phone menu, tables inside labelled scroll regions, course
covers on the cards, empty states that say what to do next, and the stylesheet's own promises (fonts, focus ring)."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

from lms.extensions import db
from lms.models import Cohort, CohortMember, Enrolment
from lms.sanitize import render_markdown
from tests.conftest import REPO

TEMPLATES = REPO / "lms" / "templates"
CSS = REPO / "static" / "src" / "css"


class Elements(HTMLParser):
    """Every start tag as (tag, attrs, the tags open around it)."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict, list[tuple[str, dict]]]] = []
        self.stack: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.found.append((tag, attrs, list(self.stack)))
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break


def elements(html: str) -> list[tuple[str, dict, list[tuple[str, dict]]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def classes(attrs: dict) -> set[str]:
    return set((attrs.get("class") or "").split())


def assert_tables_scroll_in_regions(html: str) -> int:
    tables = [(attrs, around) for tag, attrs, around in elements(html) if tag == "table"]
    for _, around in tables:
        tag, wrap = around[-1]
        assert tag == "div" and "table-wrap" in classes(wrap), "a table outside its scroll box"
        assert wrap.get("role") == "region" and wrap.get("tabindex") == "0" and wrap.get("aria-label"), wrap
    return len(tables)


def test_the_header_has_a_one_line_navigation_and_a_phone_menu_that_needs_no_javascript(as_, make_user):
    admin = make_user("admin")
    html = as_(admin).get("/admin/users", headers={"Accept-Language": "en"}).get_data(as_text=True)
    found = elements(html)
    menus = [attrs for tag, attrs, _ in found if tag == "details" and "nav-menu" in classes(attrs)]
    assert len(menus) == 1
    summaries = [around for tag, _, around in found if tag == "summary"]
    assert any(("details", menus[0]) in around for around in summaries)
    # Both navigations hold every main link; the phone menu also holds the account links.
    wide = [a.get("href") for tag, a, around in found
            if tag == "a" and any(t == "nav" and "site-nav" in classes(x) for t, x in around)]
    phone = [a.get("href") for tag, a, around in found
             if tag == "a" and any(t == "nav" and "menu-nav" in classes(x) for t, x in around)]
    assert wide == ["/courses/", "/dashboard", "/certificates/", "/reviews/", "/admin/", "/admin/users",
                    "/admin/cohorts", "/admin/certificates", "/admin/audit"]
    assert phone[:len(wide)] == wide and "/notifications/" in phone and "/account/" in phone
    # The current section is marked, in both.
    current = [a.get("href") for tag, a, _ in found if tag == "a" and a.get("aria-current") == "page"]
    assert current == ["/admin/users", "/admin/users"]
    # No script is needed: nothing in the header carries an event handler.
    assert not re.search(r"<(details|summary|nav)[^>]* on[a-z]+=", html)


def test_an_anonymous_visitor_gets_the_menu_with_the_login_link(client):
    html = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "メニュー" in html and html.count('href="/auth/login"') >= 2


def test_every_table_in_the_templates_scrolls_inside_a_labelled_focusable_region():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<table\b", text):
            before = text[:match.start()].rstrip()
            opening = before[before.rfind("<div"):]
            assert opening.startswith('<div class="table-wrap" role="region" tabindex="0" aria-label="'), \
                f"{path.relative_to(REPO)}: a table outside a labelled scroll region"


def test_the_cohort_report_matrix_scrolls_in_its_own_region(as_, make_user, make_course):
    admin, trainee = make_user("admin"), make_user("trainee")
    course = make_course()
    cohort = Cohort(name_ja="春", name_en="Spring", program="entrepreneur", starts_on=date(2026, 4, 1))
    cohort.courses.append(course)
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=trainee.id, role="trainee"))
    db.session.add(Enrolment(user_id=trainee.id, course_id=course.id, source="cohort"))
    db.session.commit()
    html = as_(admin).get(f"/admin/cohorts/{cohort.id}/report", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert assert_tables_scroll_in_regions(html) >= 4
    assert 'aria-label="Trainees by module"' in html


def test_markdown_tables_are_wrapped_in_a_scroll_region_in_the_readers_language(app):
    stored = render_markdown("| Model | Revenue |\n|---|---|\n| Asset | Licences |\n")
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        from lms.sanitize import safe_html

        html = str(safe_html(stored))
    assert assert_tables_scroll_in_regions(html) == 1
    assert 'aria-label="表：Model、Revenue"' in html and html.count("</table></div>") == 1
    # Two tables on one page get different names; a heading's markup never leaks out of the attribute.
    stored = render_markdown('| A | B |\n|---|---|\n| 1 | 2 |\n\n| "C" & <b>D</b> |\n|---|\n| 3 |\n')
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        from lms.sanitize import safe_html

        html = str(safe_html(stored))
    labels = [attrs["aria-label"] for tag, attrs, _ in elements(html) if attrs.get("role") == "region"]
    assert labels == ["表：A、B", "表：“C” & D"]  # Markdown's smart quotes
    assert 'aria-label="表：“C” &amp; D"' in html
    # Text that only looks like a table tag stays text.
    stored = render_markdown("Write `<table>` in HTML")
    with app.test_request_context():
        from lms.sanitize import safe_html

        assert "table-wrap" not in str(safe_html(stored))


def test_course_cards_show_the_named_cover_or_the_programs_colour(as_, client, make_user, make_course, enrol):
    named = make_course(program="regulatory")
    named.cover = "purple"
    plain = make_course(program="regulatory")
    db.session.commit()
    html = client.get("/courses/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html.count('class="course-cover course-cover-purple"') == 1
    assert html.count('class="course-cover course-cover-program-regulatory"') == 1
    trainee = make_user("trainee")
    enrol(trainee, named)
    enrol(trainee, plain)
    html = as_(trainee).get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "course-cover-purple" in html and "course-cover-program-regulatory" in html
    assert "Regulatory-science training program" in html  # the band names the program in text, no logo


def test_a_cover_image_is_served_publicly_cached_for_good_and_shown_on_the_card(client, make_course):
    from tests.content.test_loader import PNG

    course = make_course()
    course.cover_image, course.cover_image_type, course.cover_image_digest = PNG, "image/png", "00112233aabbccdd"
    db.session.commit()
    html = client.get("/courses/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    url = f"/courses/{course.slug}/cover/00112233aabbccdd"
    assert f'<img class="course-cover-image" src="{url}" alt=""' in html
    assert "course-cover-has-image" in html
    response = client.get(url)
    assert response.status_code == 200 and response.data == PNG and response.mimetype == "image/png"
    assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.public
    assert client.get(f"/courses/{course.slug}/cover/ffffffffffffffff").status_code == 404
    other = make_course()
    assert client.get(f"/courses/{other.slug}/cover/00112233aabbccdd").status_code == 404


def test_every_cover_in_the_palette_has_its_css_class():
    from lms.content.loader import COVERS

    css = (CSS / "45-cards.css").read_text(encoding="utf-8")
    for name in COVERS:
        assert f".course-cover-{name} " in css
    for program in ("entrepreneur", "regulatory"):
        assert f".course-cover-program-{program} " in css


def test_empty_lists_say_what_to_do_next(as_, make_user):
    trainee = make_user("trainee")
    html = as_(trainee).get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'class="empty-state"' in html and 'href="/courses/"' in html
    html = as_(trainee).get("/notifications/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'class="empty-state"' in html and "will appear here" in html


def test_the_stylesheet_puts_noto_sans_jp_first_and_draws_a_high_contrast_focus_ring():
    base = (CSS / "00-base.css").read_text(encoding="utf-8")
    family = re.search(r"--font-sans:\s*([^;]+);", base).group(1)
    assert family.split(",")[0].strip() == '"Noto Sans JP"'
    assert "IPAGothic" not in family and "monospace" not in family
    # Black (#000) on the lightest and darkest page backgrounds we use: at least 18:1; the old ring had 1.86:1.
    assert "--focus-outline: 4px solid var(--color-neutral-black)" in base
    assert re.search(r":focus-visible \{ outline: var\(--focus-outline\)", base)


def test_the_stylesheets_leave_the_reserved_names_to_the_other_helpers_and_use_no_inline_styles():
    names = sorted(p.name for p in CSS.glob("*.css"))
    assert not any(n.startswith(("55-", "60-")) for n in names if n not in ("55-grading.css", "60-enhancements.css"))
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\sstyle=|<style", text), path
