"""Course content from the browser alone, in Japanese: download a course, upload a refused package and see its
problems, upload a fixed one, preview it, publish it, and publish the earlier version again."""

from __future__ import annotations

import io
import zipfile

from playwright.sync_api import expect

from .test_admin_console import office  # noqa: F401 (the logged-in Japanese admin)

COURSE = "global-entrepreneur"


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(page, data: bytes) -> None:
    page.goto(f"/admin/content/?course={COURSE}")
    page.locator("input[name=package]").set_input_files(
        files=[{"name": f"{COURSE}.zip", "mimeType": "application/zip", "buffer": data}])
    page.get_by_role("button", name="検証してプレビュー").click()


def test_download_refuse_upload_preview_publish_and_roll_back(office, tmp_path):  # noqa: F811
    page = office
    page.goto("/admin/content/")
    expect(page.get_by_role("heading", name="コース内容", exact=True)).to_be_visible()
    with page.expect_download() as info:
        page.locator(f"a[href='/admin/content/{COURSE}/package.zip']").click()
    path = tmp_path / "package.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    lesson = sorted(name for name in files if name.endswith(".ja.md"))[0]

    broken = dict(files)
    broken[f"{COURSE}/course.toml"] = files[f"{COURSE}/course.toml"].replace(b"[title]", b"[titel]", 1)
    upload(page, zipped(broken))
    expect(page.get_by_role("alert")).to_contain_text("パッケージを受け付けませんでした")
    expect(page.get_by_role("alert")).to_contain_text(f"{COURSE}/course.toml:")

    fixed = dict(files)
    fixed[lesson] = files[lesson] + "\n誤字を修正しました。\n".encode()
    upload(page, zipped(fixed))
    expect(page.get_by_role("status").first).to_contain_text("まだ何も公開されていません")
    expect(page.locator("main")).to_contain_text(lesson.split("/")[-1].split(".")[0][3:])
    page.locator("a[lang=ja]").first.click()
    expect(page.locator("article[lang=ja]")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="公開", exact=True).click()
    expect(page.locator("main")).to_contain_text("第2版を公開しました")
    expect(page.locator("tbody tr").first).to_contain_text("アップロード")

    page.get_by_role("button", name="第1版を再公開…").click()
    expect(page.locator("main")).to_contain_text("第1版（新しい版として再公開）")
    page.get_by_role("button", name="公開", exact=True).click()
    expect(page.locator("main")).to_contain_text("第3版を公開しました")
    expect(page.locator("tbody tr").first).to_contain_text("以前の版を再公開")
