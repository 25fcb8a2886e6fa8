"""The rest of the main path in a real browser: cohort, assignment review with a revision, certificate, revocation.

The trainee (a founder) works in Japanese; the admin, the mentor and an anonymous verifier in English. Most of the
course is completed in the database first; one lesson and one assignment are done in the browser.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import Certificate, Course, Enrolment

from .conftest import RESULTS, log_in, tab_to
from .review_helpers import complete_all_but, minimal_pdf, rubric_points, score_all, user_id

COURSE = "regulatory-science"
LESSON = "sequencing-and-drug-loss"
ASSIGNMENT = "rs-consultation-briefing"  # accepts PDF, DOCX and PPTX attachments
FOUNDER = "founder@example.org"
LATIN, KANJI = "Kenji Sato", "佐藤 健司"
REASON = "Issued in error: the approved assignment was another trainee's work."


@pytest.fixture
def open_as(browser, base_url, request):
    """``open_as(who, locale)``: a logged-in page in its own browser context (``None``: anonymous).

    On failure every page is saved under test-results/ (the conftest hook only knows the ``page`` fixture).
    """
    contexts, pages = [], {}
    failed_before = request.session.testsfailed

    def open_page(who, locale):
        context = browser.new_context(base_url=base_url, locale=locale, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        if who is not None:
            log_in(page, who)
        pages[who or "visitor"] = page
        return page

    yield open_page
    if request.session.testsfailed > failed_before:
        RESULTS.mkdir(exist_ok=True)
        for who, page in pages.items():
            stem = RESULTS / f"{request.node.name}-{who}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
                print(f"\nsaved {stem}.png and {stem}.html (page {page.url})")
            except Exception as error:  # the page may be gone; the test's own error matters more
                print(f"\ncould not save {who}'s page: {error}")
    for context in contexts:
        context.close()


def flash(page, category="success"):
    return page.locator(f".flash-{category}")


def long_date(moment, lang):
    return format_date(moment.astimezone(ZoneInfo("Asia/Tokyo")).date(), "long", locale=lang)


def test_cohort_review_revision_certificate_and_revocation(open_as, in_app, tmp_path):
    founder_id = user_id(in_app, FOUNDER)
    with in_app():
        course_id, course_title = db.session.execute(select(Course.id, Course.title_en)
                                                     .where(Course.slug == COURSE)).one()

    # 1. The admin (English) creates a cohort, gives it the course, then adds the founder and the mentor.
    admin = open_as("admin", "en-US")
    admin.goto("/admin/cohorts")
    admin.locator("#name_ja").fill("レギュラトリーサイエンス研修 第1期")
    admin.locator("#name_en").fill("Regulatory science, cohort 1")
    admin.locator("#program").select_option("regulatory")
    admin.locator("#starts_on").fill(date.today().isoformat())
    admin.locator("form:has(#name_ja) [type=submit]").click()
    expect(flash(admin)).to_contain_text("Cohort created")
    admin.wait_for_url(re.compile(r"/admin/cohorts/\d+$"))
    cohort_id = int(admin.url.rsplit("/", 1)[1])
    expect(admin.locator("h1")).to_have_text("Regulatory science, cohort 1")

    admin.locator(f"input[name=course][value='{course_id}']").check()
    admin.locator("form[action$='/courses'] [type=submit]").click()
    expect(flash(admin)).to_contain_text("Courses saved")
    expect(admin.locator(f"input[name=course][value='{course_id}']")).to_be_checked()
    for email, role, name in ((FOUNDER, "trainee", LATIN), ("mentor@example.org", "mentor", "Maria Mentor")):
        members = admin.locator("form[action$='/members']")
        members.locator("input[name=email]").fill(email)
        members.locator("select[name=role]").select_option(role)
        members.locator("[type=submit]").click()
        expect(flash(admin)).to_have_text(f"{name} added to the cohort.")
    people = admin.locator("table tbody tr")
    expect(people.filter(has_text=FOUNDER)).to_contain_text("Trainee")
    expect(people.filter(has_text="mentor@example.org")).to_contain_text("Mentor")
    # Adding a trainee to a cohort that has the course enrols them in it: no separate enrolment needed.
    with in_app():
        source = db.session.scalar(select(Enrolment.source).where(Enrolment.user_id == founder_id,
                                                                  Enrolment.course_id == course_id))
    assert source == "cohort"

    # 2. Everything else is done already: all lessons but one, every quiz, every assignment but one.
    left = complete_all_but(in_app, FOUNDER, COURSE, LESSON, ASSIGNMENT)
    lesson_ja, assignment_ja = left["lesson"]["ja"], left["assignment"]["ja"]
    points = rubric_points(in_app, COURSE, ASSIGNMENT)
    assert points["second"] < points["pass"] <= points["highest"]

    # 3. The founder (Japanese) sees what is missing for the certificate, reads the lesson, writes the assignment.
    trainee = open_as("founder", "ja-JP")
    trainee.goto(f"/courses/{COURSE}/")
    expect(trainee.locator("html")).to_have_attribute("lang", "ja")
    panel = trainee.locator(".certificate-panel")
    expect(panel.locator("h2")).to_have_text("修了証")
    expect(panel).to_contain_text("このコースの修了証を受け取るには：")
    expect(panel.locator("ul.reasons li")).to_have_text([
        f"課題「{assignment_ja}」が未提出です。",  # the assignment's module comes first in the course
        f"レッスン「{lesson_ja}」が完了になっていません。",
    ])

    trainee.locator(f"a[href$='/lessons/{LESSON}']").first.click()
    expect(trainee.locator("article.lesson h1")).to_have_text(lesson_ja)
    trainee.locator("button[name=then][value=stay]").click()
    expect(trainee.locator(".lesson-actions")).to_contain_text("このレッスンは完了しています")

    trainee.goto(f"/courses/{COURSE}/")
    expect(panel.locator("ul.reasons li")).to_have_text([f"課題「{assignment_ja}」が未提出です。"])
    resume = trainee.locator(".course-status a.button")  # the next step is the assignment
    expect(resume).to_have_text(f"学習を再開：{assignment_ja}")
    resume.click()
    expect(trainee.locator("h1")).to_have_text(assignment_ja)
    sections = trainee.locator("textarea[name^='section-']")
    assert sections.count() == 7
    for index, textarea in enumerate(sections.all(), start=1):
        textarea.fill(f"セクション{index}の下書き。\n\n| 項目 | 内容 |\n|---|---|\n| 例 | {index} |")
    pdf = tmp_path / "consultation-package.pdf"
    pdf.write_bytes(minimal_pdf())
    trainee.locator("#files").set_input_files(pdf)
    trainee.locator("button[name=action][value=save]").click()
    expect(flash(trainee)).to_have_text(["「consultation-package.pdf」を添付しました。", "下書きを保存しました。"])
    attached = trainee.locator("ul.attachments li", has_text="consultation-package.pdf").first
    expect(attached).to_contain_text("PDF")
    expect(attached.locator("form[action$='/remove'] button")).to_be_visible()  # still the draft's: removable
    expect(trainee.locator("#section-questions")).to_have_value(re.compile("^セクション2の下書き。"))
    expect(trainee.locator(".preview table").first).to_be_visible()  # the Markdown table, rendered

    trainee.locator("button[name=action][value=submit]").click()
    expect(flash(trainee)).to_have_text("提出しました。メンターに通知しました。レビューが届いたらお知らせします。")
    expect(trainee.locator(".badge.state-submitted")).to_have_text("提出済み")
    expect(trainee.locator("p.notice")).to_contain_text("メンターがレビューしています")
    expect(trainee.locator("textarea[name^='section-']")).to_have_count(0)  # frozen once submitted

    # 4. The mentor (English) finds it in the queue, scores every criterion, and asks for a revision.
    mentor = open_as("mentor", "en-US")
    mentor.goto("/reviews/")
    row = mentor.locator("table.queue tbody tr", has_text=LATIN)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(left["assignment"]["en"])
    expect(row.locator(".badge.state-submitted")).to_have_text("Submitted")
    row.locator("a").click()
    mentor.wait_for_url(re.compile(r"/submissions/\d+$"))
    expect(mentor.locator(".facts")).to_contain_text(LATIN)
    expect(mentor.locator(".grading-section").nth(1)).to_contain_text("セクション2の下書き。")
    attachment = mentor.locator("ul.attachments a", has_text="consultation-package.pdf")
    download = mentor.request.get(attachment.get_attribute("href"))
    assert download.ok and download.headers["content-type"] == "application/pdf"
    assert download.body() == pdf.read_bytes()
    score_all(mentor, "second")
    mentor.locator("#comment").fill("Good start. Make the questions answerable with yes or no, and cite the data.")
    mentor.locator("button[name=action][value=revise]").click()
    expect(flash(mentor)).to_have_text("Revision requested. The trainee has been notified.")
    expect(mentor.locator(".review-summary")).to_contain_text("Revision requested")
    expect(mentor.locator(".review-summary")).to_contain_text(
        f"{points['second']} of {points['highest']} points ({points['pass']} needed)")

    # 5. The founder sees the request and the comment, edits one section with the keyboard alone, resubmits.
    trainee.reload()
    expect(trainee.locator(".badge.state-revision_requested")).to_have_text("修正依頼")
    expect(trainee.locator("h2", has_text="第1版へのフィードバック")).to_be_visible()
    summary = trainee.locator(".review-summary").first
    expect(summary).to_contain_text("修正依頼")
    expect(summary).to_contain_text("Make the questions answerable with yes or no")
    # The second level of "Regulatory soundness" is below its gate (min_level): the founder is told so, in Japanese.
    expect(summary.locator(".gate-notice")).to_contain_text("承認できる最低の評価レベルに達していない評価観点")
    expect(summary.locator(".gate-notice")).to_contain_text("規制要件との整合：3点（6点以上が必要）")
    expect(trainee.locator("h2", has_text="提出物を修正する")).to_be_visible()
    expect(trainee.locator("button[name=action][value=submit]")).to_have_text("保存して再提出する")
    tab_to(trainee, "#section-questions")
    trainee.keyboard.press("Control+End")
    trainee.keyboard.type("\n\n相談事項1：FIH前の反復投与毒性試験は4週間で十分か（はい／いいえ）。")
    tab_to(trainee, "button[name=action][value=submit]")
    trainee.keyboard.press("Enter")
    expect(flash(trainee)).to_have_text("提出しました。メンターに通知しました。レビューが届いたらお知らせします。")
    expect(trainee.locator(".badge.state-resubmitted")).to_have_text("再提出済み")

    # 6. The mentor sees what changed and approves with scores that meet the pass points.
    mentor.goto("/reviews/")
    row = mentor.locator("table.queue tbody tr", has_text=LATIN)
    expect(row.locator(".badge.state-resubmitted")).to_have_text("Resubmitted")
    expect(row.locator("td").nth(2)).to_have_text("2")  # version 2
    row.locator("a").click()
    expect(mentor.locator("h2", has_text="Changes since version 1")).to_be_visible()
    expect(mentor.locator("ul.diff li.added")).to_contain_text(["相談事項1：FIH前の反復投与毒性試験は4週間で十分か"])
    expect(mentor.locator("fieldset.criterion legend", has_text="Regulatory soundness")).to_contain_text(
        "Approval needs at least 6 points")
    score_all(mentor, "highest")
    mentor.locator("#comment").fill("Clear, answerable questions. Approved.")
    mentor.locator("button[name=action][value=approve]").click()
    expect(flash(mentor)).to_have_text("Approved. The trainee has been notified.")
    expect(mentor.locator(".review-summary").first).to_contain_text(
        f"{points['highest']} of {points['highest']} points ({points['pass']} needed)")

    # 7. The founder's course page: every requirement met, the program office will issue the certificate.
    trainee.goto(f"/courses/{COURSE}/")
    expect(panel).to_contain_text("このコースの修了要件をすべて満たしました。修了証はプログラム事務局が発行します。")
    expect(panel.locator("ul.reasons")).to_have_count(0)
    expect(trainee.locator(".quiz-step", has_text=assignment_ja).locator(".badge-ok")).to_have_text("承認済み")

    # 8. The admin lists the cohort's trainees for the course, ticks the founder, issues, confirms.
    admin.goto(f"/admin/certificates?course={COURSE}")
    admin.locator("select#cohort").select_option(str(cohort_id))
    admin.locator("form.search [type=submit]").click()
    admin.wait_for_url(re.compile(rf"cohort={cohort_id}"))
    row = admin.locator("tbody tr", has_text=FOUNDER)
    expect(admin.locator("tbody tr")).to_have_count(1)
    expect(row.locator(".badge-ok")).to_have_text("Eligible")
    row.locator(f"input[name=user][value='{founder_id}']").check()
    admin.locator("form[action$='/admin/certificates/issue'] [type=submit]").click()
    expect(admin.locator("h1")).to_have_text("Issue certificates")
    expect(admin.locator("main")).to_contain_text(f"Issue the certificate of “{course_title}” to 1 trainee?")
    expect(admin.locator("main li")).to_contain_text([LATIN])
    admin.locator("form[action$='/admin/certificates/issue'] [type=submit]").click()
    expect(flash(admin)).to_have_text("Issued 1 certificate.")
    expect(row.locator(".badge-ok")).to_have_text("Certified")
    with in_app():
        public_id = db.session.scalar(select(Certificate.public_id).where(Certificate.user_id == founder_id))

    # 9. The founder finds it under マイ修了証, downloads the PDF and copies the share link.
    trainee.locator("nav.site-nav a", has_text="マイ修了証").click()
    card = trainee.locator(f"#c-{public_id}")
    expect(card.locator("h2")).to_contain_text("レギュラトリーサイエンス研修")
    expect(card.locator(".badge-ok")).to_have_text("有効")
    with trainee.expect_download() as download_info:
        card.locator("a", has_text="PDF をダウンロード").click()
    certificate_pdf = download_info.value
    assert certificate_pdf.suggested_filename == f"certificate-{COURSE}-{public_id}.pdf"
    assert certificate_pdf.path().read_bytes().startswith(b"%PDF-")
    pdf_url = card.locator("a", has_text="PDF を表示").get_attribute("href")
    viewed = trainee.request.get(pdf_url)
    assert viewed.ok and viewed.headers["content-type"] == "application/pdf"
    share_link = card.locator(f"#share-{public_id}").input_value()
    assert share_link.endswith(f"/verify/{public_id}")
    trainee.context.grant_permissions(["clipboard-read", "clipboard-write"])
    card.locator("button[data-copy]").click()  # the copy button beside the link
    expect(card.locator("[data-copy-status]")).to_have_text("リンクをコピーしました。")
    assert trainee.evaluate("() => navigator.clipboard.readText()") == share_link

    # 10. Anyone with the link (English, not logged in) sees that it is valid and whose it is.
    visitor = open_as(None, "en-US")
    visitor.goto(share_link)
    expect(visitor.locator("p.flash[role=status]")).to_contain_text("This certificate is valid.")
    expect(visitor.locator(".facts")).to_contain_text(f"{LATIN} ({KANJI})")
    record = visitor.context.request.get(f"/api/v1/certificates/{public_id}").json()
    assert record["status"] == "valid"
    assert record["holder"]["name_latin"] == LATIN and record["revoked_at"] is None

    # 11. The admin revokes it with a reason; the visitor and the founder see the revocation.
    admin.locator(f"a[href='/admin/certificates/{public_id}']").click()
    expect(admin.locator("h1")).to_have_text(f"{LATIN} ({KANJI})")
    admin.locator("textarea[name=reason]").fill(REASON)
    admin.locator("form:has(textarea[name=reason]) [type=submit]").click()
    dialog = admin.locator("dialog[data-confirm-dialog]")  # it cannot be undone: the page asks first
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone")
    dialog.locator("[data-confirm-yes]").click()
    expect(flash(admin)).to_have_text("The certificate has been revoked. The holder has been notified.")
    with in_app():
        revoked_at = db.session.scalar(select(Certificate.revoked_at).where(Certificate.public_id == public_id))
    assert revoked_at is not None
    expect(admin.locator("p.notice")).to_contain_text(f"Reason: {REASON}")

    visitor.reload()
    status = visitor.locator("p.flash[role=status]")
    expect(status).to_contain_text(f"This certificate was revoked on {long_date(revoked_at, 'en')}.")
    expect(status).to_contain_text(f"Reason: {REASON}")
    record = visitor.context.request.get(f"/api/v1/certificates/{public_id}").json()
    assert record["status"] == "revoked" and record["revocation_reason"] == REASON

    trainee.reload()
    expect(card.locator(".badge-late")).to_have_text(f"{long_date(revoked_at, 'ja')}に失効")
    expect(card.locator("p.notice")).to_have_text(f"理由：{REASON}")
    expect(card.locator(f"#share-{public_id}")).to_have_count(0)
    assert trainee.request.get(pdf_url).status == 404  # a revoked certificate's PDF is no longer served

