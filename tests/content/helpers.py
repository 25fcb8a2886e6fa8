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


# One question of every type; the correct answers are: pick "b"; "a"+"b"; false; 42 (+-2); "GCTP"; one, two, three.
QUIZ_TOML = '''title = { ja = "確認テスト", en = "Check" }
intro = { ja = "説明", en = "About the quiz" }
pass_mark = 70
{settings}

[[questions]]
id = "pick-one"
type = "single"
text = { ja = "一つ選ぶ", en = "Pick one" }
feedback = { ja = "全体フィードバック", en = "General feedback for pick-one" }
[[questions.choices]]
id = "a"
text = { ja = "選択肢A", en = "Choice A" }
feedback = { ja = "Aは違う", en = "A is a misconception" }
[[questions.choices]]
id = "b"
text = { ja = "選択肢B", en = "Choice B" }
correct = true
feedback = { ja = "Bが正しい", en = "B is right because" }

[[questions]]
id = "pick-many"
type = "multiple"
scoring = "partial"
points = 2
text = { ja = "複数選ぶ", en = "Pick many" }
[[questions.choices]]
id = "a"
text = { ja = "甲", en = "Alpha" }
correct = true
[[questions.choices]]
id = "b"
text = { ja = "乙", en = "Beta" }
correct = true
[[questions.choices]]
id = "c"
text = { ja = "丙", en = "Gamma" }

[[questions]]
id = "true-or-false"
type = "true_false"
answer = false
text = { ja = "正しいか", en = "Is it true?" }

[[questions]]
id = "how-many"
type = "numeric"
answer = 42
tolerance = 2
unit = { ja = "日", en = "days" }
text = { ja = "何日か", en = "How many days?" }

[[questions]]
id = "term"
type = "text"
answers = ["GCTP", "good gene cellular and tissue-based products manufacturing practice"]
text = { ja = "用語", en = "Which term?" }

[[questions]]
id = "steps"
type = "ordering"
text = { ja = "順番", en = "Put in order" }
[[questions.items]]
id = "one"
text = { ja = "一", en = "First step" }
[[questions.items]]
id = "two"
text = { ja = "二", en = "Second step" }
[[questions.items]]
id = "three"
text = { ja = "三", en = "Third step" }
'''

# The answers that earn full marks, by question id.
CORRECT = {"pick-one": "b", "pick-many": ["a", "b"], "true-or-false": "false", "how-many": "42", "term": "GCTP",
           "steps": ["one", "two", "three"]}


def quiz_toml(settings: str = "") -> str:
    return QUIZ_TOML.replace("{settings}", settings)


def write_quiz(folder: Path, module: str = "basics", settings: str = "", toml: str | None = None) -> Path:
    path = folder / module / "quiz.toml"
    path.write_text(toml if toml is not None else quiz_toml(settings), encoding="utf-8")
    return path


ASSIGNMENT_TOML = '''title = { ja = "事業計画", en = "Business plan" }
prompt = { ja = "自社の計画を書いてください。", en = "Write **your** plan." }
{extra}

[[sections]]
id = "problem"
title = { ja = "課題", en = "Problem" }
guidance = { ja = "誰のどんな課題か。", en = "Whose problem, and how big." }

[[sections]]
id = "solution"
title = { ja = "解決策", en = "Solution" }
guidance = { ja = "何をどう解決するか。", en = "What you do about it." }

[rubric]
pass_points = 3

[[rubric.criteria]]
id = "evidence"
title = { ja = "根拠", en = "Evidence" }
[[rubric.criteria.levels]]
points = 0
descriptor = { ja = "根拠がない", en = "No evidence" }
[[rubric.criteria.levels]]
points = 1
descriptor = { ja = "一部に根拠", en = "Some evidence" }
[[rubric.criteria.levels]]
points = 2
descriptor = { ja = "十分な根拠", en = "Strong evidence" }

[[rubric.criteria]]
id = "clarity"
title = { ja = "明確さ", en = "Clarity" }
[[rubric.criteria.levels]]
points = 0
descriptor = { ja = "不明確", en = "Unclear" }
[[rubric.criteria.levels]]
points = 2
descriptor = { ja = "明確", en = "Clear" }

[exemplar]
answer = { ja = "### 課題\\n\\n模範解答の本文。", en = "### Problem\\n\\nThe exemplar answer, for mentors only." }
note = { ja = "校正のための注記。", en = "A calibration note." }

[[exemplar.scores]]
criterion = "evidence"
points = 2
why = { ja = "出典のある数字。", en = "Every figure has a source." }

[[exemplar.scores]]
criterion = "clarity"
points = 2
why = { ja = "一読で分かる。", en = "Clear at first reading." }
'''

ATTACHMENTS = '''due_days = 14

[attachments]
types = ["pdf", "png", "docx"]
max_files = 2
max_mb = 1
'''


def assignment_toml(extra: str = ATTACHMENTS) -> str:
    return ASSIGNMENT_TOML.replace("{extra}", extra)


def write_assignment(folder: Path, module: str = "basics", slug: str = "plan", toml: str | None = None) -> Path:
    path = folder / module / f"assignment-{slug}.toml"
    path.write_text(toml if toml is not None else assignment_toml(), encoding="utf-8")
    return path


def import_courses(path):
    """The importer as ``flask lms import-courses`` runs it: one unit of work, committed when it succeeds."""
    from lms.content import importer
    from lms.extensions import db

    try:
        report = importer.import_courses(path)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return report
