"""The program office's day in a real browser, in Japanese: a cohort set up from an Excel sheet (Shift_JIS CSV),
named mentors, the progress report with its charts, its CSV export, and the audit log."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.models import CohortMember, CohortPairing, Course, Role, User
from lms.services import accounts

from .conftest import PASSWORD, RESULTS

OFFICE = "office@example.org"
SHEET = ("メールアドレス,役割,氏名,氏名（ローマ字）,所属,担当メンター\r\n"
         "mentor@example.org,メンター,,,,\r\n"
         "aoi.kawasaki@example.org,受講者,川崎 葵,Aoi Kawasaki,殿町セラピューティクス,mentor@example.org\r\n"
         "ren.tonomachi@example.org,受講者,殿町 蓮,Ren Tonomachi,キングスカイフロント創薬,\r\n"
         "not-an-address,受講者,誤り,,,\r\n")


@pytest.fixture
def office(browser, base_url, in_app, request):
    """A Japanese-speaking admin of the program office, logged in."""
    with in_app():
        if db.session.scalar(select(User).where(User.email == OFFICE)) is None:
            accounts.create_user(OFFICE, PASSWORD, accounts.Profile(name_ja="事務局 花子", name_latin="Hanako Jimukyoku",
                                                                   locale="ja"), {Role.ADMIN})
        db.session.commit()
    context = browser.new_context(base_url=base_url, locale="ja-JP", accept_downloads=True)
    page = context.new_page()
    page.goto("/auth/login")
    page.locator("input[name=email]").fill(OFFICE)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before:
        RESULTS.mkdir(exist_ok=True)
        stem = RESULTS / request.node.name
        page.screenshot(path=f"{stem}.png", full_page=True)
        stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
        print(f"\nsaved {stem}.png and {stem}.html (page {page.url})")
    context.close()


def test_cohort_from_a_spreadsheet_named_mentors_report_and_export(office, in_app, tmp_path):
    page = office
    with in_app():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "global-entrepreneur"))

    # 1. A new cohort with the entrepreneur course.
    page.goto("/admin/cohorts")
    page.locator("#name_ja").fill("グローバル起業家プログラム 第2期")
    page.locator("#name_en").fill("Global entrepreneur program, cohort 2")
    page.locator("#program").select_option("entrepreneur")
    page.locator("#starts_on").fill(date.today().isoformat())
    page.locator("form:has(#name_ja) [type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/cohorts/\d+$"))
    cohort_id = int(page.url.rsplit("/", 1)[1])
    page.locator(f"input[name=course][value='{course_id}']").check()
    page.locator("form[action$='/courses'] [type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("コース")

    # 2. The sheet, saved from Excel as "CSV" (Shift_JIS): preview first, nothing saved yet.
    page.get_by_role("link", name="まとめて追加").click()
    sheet = tmp_path / "参加者.csv"
    sheet.write_bytes(SHEET.encode("cp932"))
    page.locator("input[type=file]").set_input_files(str(sheet))
    page.get_by_label("未登録のアドレスはアカウントを作成して招待を送る").check()
    page.get_by_role("button", name="プレビュー").click()
    expect(page.locator("h1")).to_have_text("追加する前に確認")
    summary = page.locator("ul.summary")
    expect(summary).to_contain_text("1人を追加します。")
    expect(summary).to_contain_text("2件のアカウントを新規作成し、招待を送ります。")
    expect(summary).to_contain_text("1行に問題があるため、追加しません。")
    expect(page.locator("tr.row-error")).to_contain_text("「not-an-address」はメールアドレスではありません。")
    expect(page.locator("tbody tr").filter(has_text="aoi.kawasaki@example.org")).to_contain_text("殿町セラピューティクス")
    with in_app():
        assert db.session.scalar(select(User).where(User.email == "aoi.kawasaki@example.org")) is None

    page.get_by_role("button", name="コホートに追加する").click()
    page.wait_for_url(re.compile(rf"/admin/cohorts/{cohort_id}$"))
    expect(page.locator(".flash-success")).to_contain_text("コホートに3人を追加しました")
    people = page.locator("table tbody tr")
    expect(people.filter(has_text="aoi.kawasaki@example.org")).to_contain_text("受講者")
    expect(people.filter(has_text="mentor@example.org")).to_contain_text("メンター")

    # 3. Named mentors: the sheet named one for Aoi; Ren has none yet, and the page says so.
    page.get_by_label("受講者ごとに担当メンターを指定する").check()
    page.get_by_role("button", name="割り当て方法を保存").click()
    expect(page.locator(".flash-error")).to_contain_text("担当メンターが指定されていない受講者が1人います")
    box = page.get_by_label("メンター 真理 が 殿町 蓮 を担当")
    expect(page.get_by_label("メンター 真理 が 川崎 葵 を担当")).to_be_checked()
    expect(box).not_to_be_checked()
    box.check()
    page.get_by_role("button", name="担当メンターを保存").click()
    expect(page.locator(".flash-success")).to_have_text("担当メンターを保存しました。")
    expect(page.locator(".flash-error")).to_have_count(0)
    with in_app():
        pairs = db.session.scalar(select(db.func.count(CohortPairing.id)).where(CohortPairing.cohort_id == cohort_id))
        members = db.session.scalar(select(db.func.count(CohortMember.id)).where(CohortMember.cohort_id == cohort_id))
    assert (pairs, members) == (2, 3)

    # 4. The progress report: matrix, stages and two charts drawn on the server.
    page.get_by_role("link", name="進捗レポート").click()
    expect(page.locator("h1")).to_have_text("進捗レポート：グローバル起業家プログラム 第2期")
    expect(page.locator("svg[role=img]")).to_have_count(2)
    expect(page.locator("table.report-stages")).to_contain_text("未着手")
    matrix = page.locator("table.report-matrix tbody tr")
    expect(matrix).to_have_count(2)
    expect(matrix.filter(has_text="川崎 葵")).to_contain_text("未着手")

    # 5. Export to Excel-friendly CSV: a byte-order mark, Japanese headings and names.
    with page.expect_download() as info:
        page.get_by_role("button", name="レポートを CSV でエクスポート").click()
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["氏名", "氏名（ローマ字）", "メールアドレス", "所属組織"] and "最終活動（日本時間）" in rows[0]
    by_email = {row[2]: row for row in rows[1:]}
    assert set(by_email) == {"aoi.kawasaki@example.org", "ren.tonomachi@example.org"}
    assert by_email["aoi.kawasaki@example.org"][3] == "殿町セラピューティクス"

    # 6. The audit log has the import and the export.
    page.goto("/admin/audit")
    log = page.locator("table tbody")
    expect(log).to_contain_text("コホートにまとめて追加")
    expect(log).to_contain_text("コホートの進捗レポートをエクスポート")
    expect(log).to_contain_text("担当メンターの指定を変更")
