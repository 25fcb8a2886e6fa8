"""Write small course folders for the importer tests."""

from __future__ import annotations

from pathlib import Path

COURSE_TOML = '''program = "regulatory"
enrolment = "open"

[title]
ja = "テストコース"
en = "Test course"

[description]
ja = "説明です。"
en = "About the course."

[[modules]]
slug = "basics"
title = { ja = "基礎", en = "Basics" }
lessons = ["intro", "details"]

[[modules]]
slug = "advanced"
title = { ja = "応用", en = "Advanced" }
lessons = ["deep-dive"]
'''

LESSONS = {
    "basics/01-intro": ("はじめに", "Introduction"),
    "basics/02-details": ("詳細", "Details"),
    "advanced/01-deep-dive": ("深掘り", "Deep dive"),
}


def lesson_text(title: str, body: str = "Some **text**.") -> str:
    return f'+++\ntitle = "{title}"\nminutes = 5\n+++\n\n{body}\n'


def write_course(root: Path, slug: str = "test-course", toml: str = COURSE_TOML) -> Path:
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "course.toml").write_text(toml, encoding="utf-8")
    for stem, (ja, en) in LESSONS.items():
        path = folder / stem
        path.parent.mkdir(exist_ok=True)
        path.with_name(path.name + ".ja.md").write_text(lesson_text(ja, "日本語の本文。"), encoding="utf-8")
        path.with_name(path.name + ".en.md").write_text(lesson_text(en), encoding="utf-8")
    return folder
