"""Read ``courses/`` into plain dataclasses, reporting every problem as ``path:line: message``.

Nothing here touches the database: ``load_courses`` either returns valid specs or raises
``ContentError`` with all the problems it found, so an import is all or nothing.
The format is documented in ``courses/README.md``.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .assignments import ASSIGNMENT_FILE, AssignmentSpec, read_assignment
from .base import LANGUAGE_NAMES, LANGUAGES, MAX_TITLE, SLUG, ContentError, ContentLimits, Problem, TomlReader
from .quizzes import QuizSpec, read_quiz
from .tomlsource import Located, TomlSyntaxError

PROGRAMS = ("entrepreneur", "regulatory")
ENROLMENT_MODES = ("open", "assigned")
LESSON_FILE = re.compile(r"^(?P<number>\d{2})-(?P<slug>(?=[a-z0-9-]{1,80}\.)[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<lang>[a-z]{2})\.md$")
FRONT_MATTER_FENCE = "+++"
QUIZ_FILE = "quiz.toml"

MAX_MINUTES = 600
MAX_POSITION = 100_000

COURSE_KEYS = {"program", "enrolment", "position", "cover", "cover_image", "title", "description", "modules", "completion", "certificate"}
# The named cover colours a course may pick (each is a CSS class, course-cover-<name>, in static/src/css/45-cards.css).
COVERS = ("blue", "green", "teal", "purple", "orange", "red", "gray")
# A cover image: a file beside course.toml, named in it; its bytes must be what its extension says.
COVER_IMAGE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.(png|jpg|jpeg|webp)$")
COVER_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
MAX_COVER_IMAGE_KB = 512


def _image_type_of(data: bytes) -> str | None:
    """The image type the bytes really are (their signature), whatever the file is called."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
COMPLETION_KEYS = {"lessons", "quizzes", "assignments", "min_quiz_score", "issue", "valid_months"}
CERTIFICATE_KEYS = {"issuer", "issuer_url", "signer", "signer_title", "description"}
ISSUE_MODES = ("automatic", "admin")
MAX_VALID_MONTHS = 600
HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
MODULE_KEYS = {"slug", "title", "summary", "lessons"}
LESSON_KEYS = {"title", "minutes"}


@dataclass
class LessonSpec:
    slug: str
    title: dict[str, str]
    minutes: int
    body: dict[str, str]  # Markdown source per language
    paths: dict[str, Path]


@dataclass
class ModuleSpec:
    slug: str
    title: dict[str, str]
    summary: dict[str, str]
    lessons: list[LessonSpec] = field(default_factory=list)
    quiz: QuizSpec | None = None  # from <module>/quiz.toml; after the lessons
    assignments: list[AssignmentSpec] = field(default_factory=list)  # <module>/assignment-<slug>.toml, last


@dataclass
class CourseSpec:
    slug: str
    path: Path
    program: str
    enrolment: str
    position: int
    title: dict[str, str]
    description: dict[str, str]  # Markdown source per language
    cover: str = ""  # one of COVERS; empty: the program's default colour
    cover_image: bytes | None = None  # the cover_image file's bytes, checked to be a PNG, JPEG or WebP image
    cover_image_type: str = ""  # its media type
    modules: list[ModuleSpec] = field(default_factory=list)
    # [completion], resolved: "all" replaced by the slugs (see Course.completion_rules)
    completion: dict = field(default_factory=dict)
    certificate: dict = field(default_factory=dict)  # [certificate]; empty: the course issues none


def load_courses(path: Path | str, limits: ContentLimits | None = None) -> list[CourseSpec]:
    """Load one course folder (with a course.toml) or a folder of course folders."""
    root = Path(path)
    problems: list[Problem] = []
    if not root.is_dir():
        raise ContentError([Problem(root, 1, "no such folder")])
    # Links, special files and sizes first: nothing is parsed (or even read) when the tree is refused.
    problems = check_tree(root, limits or ContentLimits())
    if problems:
        raise ContentError(problems)
    if (root / "course.toml").exists():
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
        for folder in folders:
            if not (folder / "course.toml").exists():
                problems.append(Problem(folder / "course.toml", 1, "missing: every course folder needs a course.toml"))
        folders = [f for f in folders if (f / "course.toml").exists()]
        if not folders and not problems:
            problems.append(Problem(root, 1, "no course folders found"))
    courses = []
    for folder in folders:
        course = _CourseReader(folder, problems).read()
        if course is not None:
            courses.append(course)
    if problems:
        raise ContentError(problems)
    return courses


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 and count % (1024 * 1024) == 0 else (
        f"{count // 1024} KB" if count % 1024 == 0 else f"{count} bytes")


def check_tree(root: Path, limits: ContentLimits) -> list[Problem]:
    """Every entry the loader could read under ``root`` (names starting with "." are never read): no symbolic links
    (files or folders), nothing that resolves outside the tree, only regular files and folders, each file within its
    limit and all of them together within the tree's. Only ``lstat`` is used: links are not followed."""
    problems: list[Problem] = []
    base = root.resolve()
    total = 0
    for folder, dirs, files in os.walk(base, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(dirs) + sorted(f for f in files if not f.startswith(".")):
            entry = here / name
            shown = root / entry.relative_to(base)
            info = entry.lstat()
            if stat.S_ISLNK(info.st_mode):
                problems.append(Problem(shown, 1, "symbolic link: refused; course files must be real files and "
                                                  "folders inside the course tree"))
                dirs[:] = [d for d in dirs if d != name]
                continue
            if not entry.resolve().is_relative_to(base):
                problems.append(Problem(shown, 1, "resolves outside the course tree: refused"))
                dirs[:] = [d for d in dirs if d != name]
                continue
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                problems.append(Problem(shown, 1, "not a regular file: refused"))
                continue
            limit = limits.toml_bytes if name.endswith(".toml") else limits.lesson_bytes
            if info.st_size > limit:
                problems.append(Problem(shown, 1, f"too large: {_size(info.st_size)} (at most {_size(limit)} "
                                                  f"for a {'TOML' if name.endswith('.toml') else 'lesson'} file)"))
            total += info.st_size
    if total > limits.tree_bytes:
        problems.append(Problem(root, 1, f"too large: the course files add up to {_size(total)} "
                                         f"(at most {_size(limits.tree_bytes)})"))
    return problems


class _CourseReader(TomlReader):
    def __init__(self, folder: Path, problems: list[Problem]):
        self.folder = folder
        self.toml_path = folder / "course.toml"
        self.problems = problems
        self.doc: Located | None = None
        self.cover_image_name = ""

    def read(self) -> CourseSpec | None:
        if not SLUG.match(self.folder.name):
            self.problem(self.toml_path, 1, f"course folder name '{self.folder.name}' is not a slug "
                                            "(at most 80 lower-case letters, digits and single hyphens)")
        data = self.load()
        if data is None:
            return None
        if isinstance(data.get("cover_image"), str):
            self.cover_image_name = data["cover_image"]
        for key in sorted(set(data) - COURSE_KEYS):
            self.at(key, f"unknown key '{key}' (allowed: {', '.join(sorted(COURSE_KEYS))})")
        program = data.get("program")
        if program not in PROGRAMS:
            self.at("program", f"program must be one of {', '.join(PROGRAMS)}; found {program!r}")
        enrolment = data.get("enrolment", "open")
        if enrolment not in ENROLMENT_MODES:
            self.at("enrolment", f"enrolment must be one of {', '.join(ENROLMENT_MODES)}; found {enrolment!r}")
        position = data.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= MAX_POSITION:
            self.at("position", f"position must be a whole number from 0 to {MAX_POSITION}")
            position = 0
        cover = data.get("cover", "")
        if cover != "" and cover not in COVERS:
            self.at("cover", f"cover must be one of {', '.join(COVERS)}; found {cover!r}")
            cover = ""
        course = CourseSpec(
            slug=self.folder.name,
            path=self.folder,
            program=program,
            enrolment=enrolment,
            position=position,
            cover=cover,
            title=self.bilingual(data, "title", required=True, max_length=MAX_TITLE),
            description=self.bilingual(data, "description", required=True),
        )
        course.cover_image, course.cover_image_type = self.read_cover_image(data.get("cover_image"))
        course.modules = self.read_modules(data.get("modules"))
        course.certificate = self.read_certificate(data.get("certificate"))
        course.completion = self.read_completion(data.get("completion"), course)
        return course

    def read_cover_image(self, name) -> tuple[bytes | None, str]:
        """The optional cover image named in course.toml: a PNG, JPEG or WebP file beside it."""
        if name is None:
            return None, ""
        if not isinstance(name, str) or not COVER_IMAGE_NAME.match(name):
            self.at("cover_image", "cover_image must name a .png, .jpg or .webp file beside course.toml "
                                   f"(lower-case letters, digits and hyphens); found {name!r}")
            return None, ""
        path = self.folder / name
        if not path.is_file():
            self.at("cover_image", f"cover_image: no file '{name}' beside course.toml")
            return None, ""
        data = path.read_bytes()
        if len(data) > MAX_COVER_IMAGE_KB * 1024:
            self.at("cover_image", f"cover_image: '{name}' is larger than {MAX_COVER_IMAGE_KB} KB")
            return None, ""
        expected = COVER_IMAGE_TYPES[name.rsplit(".", 1)[1]]
        if _image_type_of(data) != expected:
            self.at("cover_image", f"cover_image: '{name}' is not a {expected.split('/')[1].upper()} image")
            return None, ""
        return data, expected

    def read_certificate(self, table) -> dict:
        """Who issues and signs the certificate; without this table the course issues none."""
        if table is None:
            return {}
        if not isinstance(table, dict):
            self.at("certificate", "'certificate' must be a table")
            return {}
        self.unknown_keys(table, CERTIFICATE_KEYS, prefix="certificate.", what="[certificate]")
        info = {key: self.bilingual(table, key, prefix="certificate.", required=key != "signer_title",
                                    max_length=MAX_TITLE)
                for key in ("issuer", "signer", "signer_title")}
        info["description"] = self.bilingual(table, "description", prefix="certificate.", required=True,
                                             max_length=2000)
        url = table.get("issuer_url", "")
        if not isinstance(url, str) or (url and not HTTP_URL.match(url)) or len(url) > 300:
            self.at("certificate.issuer_url", "'certificate.issuer_url' must be an http(s) URL of at most 300 characters")
            url = ""
        info["issuer_url"] = url
        return info

    def read_completion(self, table, course: CourseSpec) -> dict:
        """What a trainee must do to complete the course: by default every lesson, quiz and assignment."""
        table = {} if table is None else table
        if not isinstance(table, dict):
            self.at("completion", "'completion' must be a table")
            table = {}
        self.unknown_keys(table, COMPLETION_KEYS, prefix="completion.", what="[completion]")
        if table and not course.certificate:
            self.at("completion", "[completion] needs a [certificate] table (who issues and signs the certificate)")
        available = {
            "lessons": [lesson.slug for module in course.modules for lesson in module.lessons],
            "quizzes": [module.slug for module in course.modules if module.quiz is not None],
            "assignments": [a.slug for module in course.modules for a in module.assignments],
        }
        rules = {}
        for kind, slugs in available.items():
            value = table.get(kind, "all")
            if value == "all":
                rules[kind] = slugs
            elif value == "none":
                rules[kind] = []
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                for unknown in [v for v in value if v not in slugs]:
                    noun = "module with a quiz" if kind == "quizzes" else kind[:-1]
                    self.at(f"completion.{kind}", f"completion.{kind}: no {noun} '{unknown}' in this course")
                rules[kind] = [v for v in dict.fromkeys(value) if v in slugs]
            else:
                self.at(f"completion.{kind}", f"'completion.{kind}' must be \"all\", \"none\" or a list of slugs")
                rules[kind] = slugs
        score = table.get("min_quiz_score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 100):
            self.at("completion.min_quiz_score", "'completion.min_quiz_score' must be a number from 0 to 100")
            score = None
        if score is not None and not rules["quizzes"]:
            self.at("completion.min_quiz_score", "'completion.min_quiz_score' needs at least one required quiz")
        rules["min_quiz_score"] = float(score) if score is not None else None
        rules["issue"] = self.choice(table, "issue", ISSUE_MODES, "admin", prefix="completion.")
        rules["valid_months"] = self.whole_number(table, "valid_months", 1, MAX_VALID_MONTHS, None,
                                                  prefix="completion.")
        return rules

    def read_modules(self, modules) -> list[ModuleSpec]:
        if not isinstance(modules, list) or not modules or not all(isinstance(m, dict) for m in modules):
            self.at("modules", "the course needs at least one [[modules]] table")
            return []
        specs: list[ModuleSpec] = []
        seen_modules: set[str] = set()
        # lesson slug -> (module slug, key path), to find a lesson named twice
        named_lessons: dict[str, str] = {}
        for index, module in enumerate(modules):
            key = f"modules[{index}]"
            for unknown in sorted(set(module) - MODULE_KEYS):
                self.at(f"{key}.{unknown}", f"unknown key '{unknown}' in module (allowed: {', '.join(sorted(MODULE_KEYS))})")
            slug = module.get("slug")
            if not isinstance(slug, str) or not SLUG.match(slug):
                self.at(f"{key}.slug", f"module {index + 1}: 'slug' must be a slug (lower-case letters, digits, hyphens)")
                continue
            if slug in seen_modules:
                self.at(f"{key}.slug", f"duplicate module slug '{slug}'")
                continue
            seen_modules.add(slug)
            spec = ModuleSpec(
                slug=slug,
                title=self.bilingual(module, "title", prefix=f"{key}.", required=True, max_length=MAX_TITLE),
                summary=self.bilingual(module, "summary", prefix=f"{key}.", required=False),
            )
            lessons = module.get("lessons")
            if not isinstance(lessons, list) or not lessons or not all(isinstance(x, str) for x in lessons):
                self.at(f"{key}.lessons", f"module '{slug}': 'lessons' must be a non-empty list of lesson slugs")
                lessons = []
            for lesson_slug in lessons:
                if lesson_slug in named_lessons:
                    self.at(f"{key}.lessons", f"duplicate lesson slug '{lesson_slug}' "
                                              f"(already named by module '{named_lessons[lesson_slug]}')")
                named_lessons.setdefault(lesson_slug, slug)
            spec.lessons = self.read_lessons(spec, key, lessons)
            specs.append(spec)
        self.check_stray_folders(seen_modules)
        self.check_assignment_slugs(specs)
        return specs

    def check_assignment_slugs(self, modules: list[ModuleSpec]) -> None:
        """An assignment's slug is its identity in the course, so it may move between modules."""
        seen: dict[str, Path] = {}
        for module in modules:
            for assignment in module.assignments:
                if assignment.slug in seen:
                    self.problem(assignment.path, 1, f"duplicate assignment slug '{assignment.slug}' "
                                                     f"(also {seen[assignment.slug].parent.name}/{seen[assignment.slug].name})")
                seen.setdefault(assignment.slug, assignment.path)

    def check_stray_folders(self, module_slugs: set[str]) -> None:
        for child in sorted(self.folder.iterdir()):
            if child.name.startswith(".") or child.name == "course.toml":
                continue
            if child.is_dir() and child.name not in module_slugs:
                self.problem(child, 1, f"folder '{child.name}' is not a module named in course.toml")
            elif child.is_file() and child.name not in {"README.md", self.cover_image_name}:
                self.problem(child, 1, f"unexpected file '{child.name}' in the course folder")

    def read_lessons(self, module: ModuleSpec, key: str, listed: list[str]) -> list[LessonSpec]:
        folder = self.folder / module.slug
        if not folder.is_dir():
            self.at(f"{key}.slug", f"module '{module.slug}' has no folder {module.slug}/")
            return []
        files: dict[str, dict[str, Path]] = {}
        for path in sorted(folder.iterdir()):
            if path.name.startswith("."):
                continue
            if path.name == QUIZ_FILE and path.is_file():
                module.quiz = read_quiz(path, self.problems)
                continue
            if (assignment_match := ASSIGNMENT_FILE.match(path.name)) and path.is_file():
                assignment = read_assignment(path, assignment_match.group("slug"), self.problems)
                if assignment is not None:
                    module.assignments.append(assignment)
                continue
            match = LESSON_FILE.match(path.name)
            if not path.is_file() or not match:
                self.problem(path, 1, f"unexpected file: lesson files are named NN-slug.ja.md and NN-slug.en.md, "
                                       f"the quiz {QUIZ_FILE}, assignments assignment-slug.toml")
                continue
            slug, lang = match.group("slug"), match.group("lang")
            if lang not in LANGUAGES:
                self.problem(path, 1, f"unknown language '{lang}' (allowed: ja, en)")
                continue
            by_lang = files.setdefault(slug, {})
            if lang in by_lang:
                self.problem(path, 1, f"duplicate lesson slug '{slug}': {by_lang[lang].name} has the same slug and language")
                continue
            by_lang[lang] = path
        for slug, by_lang in files.items():
            if slug not in listed:
                for path in by_lang.values():
                    self.problem(path, 1, f"lesson '{slug}' is not named by module '{module.slug}' in course.toml")
        lessons = []
        for slug in dict.fromkeys(listed):
            by_lang = files.get(slug)
            if not by_lang:
                self.at(f"{key}.lessons", f"module '{module.slug}' names lesson '{slug}', "
                                          f"but {module.slug}/ has no file NN-{slug}.ja.md or NN-{slug}.en.md")
                continue
            lesson = self.read_lesson(slug, by_lang)
            if lesson is not None:
                lessons.append(lesson)
        return lessons

    def read_lesson(self, slug: str, by_lang: dict[str, Path]) -> LessonSpec | None:
        lesson = LessonSpec(slug=slug, title={}, minutes=0, body={}, paths=dict(by_lang))
        for lang in LANGUAGES:
            if lang not in by_lang:
                other = next(iter(by_lang.values()))
                expected = other.name.replace(f".{other.name.split('.')[-2]}.md", f".{lang}.md")
                self.problem(other, 1, f"missing {LANGUAGE_NAMES[lang]} translation: expected {expected}")
        ok = True
        for lang, path in by_lang.items():
            parsed = self.read_lesson_file(path)
            if parsed is None:
                ok = False
                continue
            meta, body = parsed
            lesson.title[lang] = meta["title"]
            lesson.body[lang] = body
            if lang == "en" or not lesson.minutes:
                lesson.minutes = meta.get("minutes", 0)
        return lesson if ok and len(lesson.title) == len(LANGUAGES) else None

    def read_lesson_file(self, path: Path) -> tuple[dict, str] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem(path, 1, "not UTF-8 text")
            return None
        lines = text.splitlines()
        if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
            self.problem(path, 1, f"the file must start with front matter between '{FRONT_MATTER_FENCE}' lines")
            return None
        try:
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE)
        except StopIteration:
            self.problem(path, 1, f"front matter is not closed by a '{FRONT_MATTER_FENCE}' line")
            return None
        try:
            doc = Located("\n".join(lines[1:end]), first_line=2)
        except TomlSyntaxError as error:
            self.problem(path, error.line, error.message)
            return None
        meta = doc.data
        ok = True
        for key in sorted(set(meta) - LESSON_KEYS):
            self.problem(path, doc.line(key), f"unknown key '{key}' in front matter (allowed: minutes, title)")
            ok = False
        title = meta.get("title")
        if not isinstance(title, str) or not title.strip():
            self.problem(path, doc.line("title"), "front matter needs a non-empty 'title'")
            ok = False
        elif len(title.strip()) > MAX_TITLE:
            self.problem(path, doc.line("title"), f"'title' is longer than {MAX_TITLE} characters")
            ok = False
        minutes = meta.get("minutes", 0)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= MAX_MINUTES:
            self.problem(path, doc.line("minutes"), f"'minutes' must be a whole number from 0 to {MAX_MINUTES}")
            ok = False
        body = "\n".join(lines[end + 1:]).strip()
        if not body:
            self.problem(path, end + 1, "the lesson has no text after the front matter")
            ok = False
        if not ok:
            return None
        return {"title": title.strip(), "minutes": minutes}, body
