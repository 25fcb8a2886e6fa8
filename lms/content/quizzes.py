"""Read a module's ``quiz.toml`` into a ``QuizSpec``, reporting every problem as ``path:line: message``.

The format is documented in ``courses/README.md`` ("Quizzes"). Grading data is kept as plain
dicts (``QuestionSpec.data``) in exactly the shape ``lms.rules.grading`` reads, so what the
importer validates is what the grader gets.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..rules.grading import GRADING_POLICIES, QUESTION_TYPES, REVEAL_POLICIES, SCORING_RULES
from .base import MAX_TITLE, SLUG, Problem, TomlReader

QUIZ_KEYS = {"title", "intro", "pass_mark", "max_attempts", "time_limit", "shuffle_questions", "shuffle_choices",
             "draw", "grading", "reveal", "questions"}
COMMON_QUESTION_KEYS = {"id", "type", "points", "text", "feedback"}
QUESTION_KEYS = {
    "single": COMMON_QUESTION_KEYS | {"choices"},
    "multiple": COMMON_QUESTION_KEYS | {"choices", "scoring"},
    "true_false": COMMON_QUESTION_KEYS | {"answer"},
    "numeric": COMMON_QUESTION_KEYS | {"answer", "tolerance", "unit"},
    "text": COMMON_QUESTION_KEYS | {"answers"},
    "ordering": COMMON_QUESTION_KEYS | {"items", "scoring"},
}
CHOICE_KEYS = {"id", "text", "correct", "feedback"}
ITEM_KEYS = {"id", "text"}

MAX_QUESTIONS = 100
MAX_POINTS = 100
MAX_TIME_LIMIT = 600  # minutes
MAX_ATTEMPTS = 100
MAX_CHOICE_TEXT = 500
MAX_ANSWER_TEXT = 200
CHOICES_RANGE = (2, 10)
ITEMS_RANGE = (3, 10)
RELATIVE_TOLERANCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


@dataclass
class QuestionSpec:
    key: str
    type: str
    points: int
    text: dict[str, str]  # Markdown per language
    feedback: dict[str, str]  # Markdown per language, may be empty
    data: dict  # what the grader needs, see lms/rules/grading.py


@dataclass
class QuizSpec:
    path: Path
    title: dict[str, str]
    intro: dict[str, str]
    pass_mark: int
    max_attempts: int  # 0 = unlimited
    time_limit: int | None  # minutes
    shuffle_questions: bool
    shuffle_choices: bool
    draw: int | None  # questions per attempt; None = all
    grading: str
    reveal: str
    questions: list[QuestionSpec] = field(default_factory=list)


def read_quiz(path: Path, problems: list[Problem]) -> QuizSpec | None:
    return _QuizReader(path, problems).read()


class _QuizReader(TomlReader):
    def read(self) -> QuizSpec | None:
        data = self.load()
        if data is None:
            return None
        self.unknown_keys(data, QUIZ_KEYS)
        pass_mark = data.get("pass_mark")
        if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 0 <= pass_mark <= 100:
            self.at("pass_mark", f"'pass_mark' must be a whole percentage from 0 to 100; found {pass_mark!r}")
            pass_mark = 0
        quiz = QuizSpec(
            path=self.toml_path,
            title=self.bilingual(data, "title", required=True, max_length=MAX_TITLE),
            intro=self.bilingual(data, "intro", required=False),
            pass_mark=pass_mark,
            max_attempts=self.whole_number(data, "max_attempts", 0, MAX_ATTEMPTS, 0),
            time_limit=self.whole_number(data, "time_limit", 1, MAX_TIME_LIMIT, None),
            shuffle_questions=self.boolean(data, "shuffle_questions", False),
            shuffle_choices=self.boolean(data, "shuffle_choices", False),
            draw=None,
            grading=self.choice(data, "grading", GRADING_POLICIES, "highest"),
            reveal=self.choice(data, "reveal", REVEAL_POLICIES, "after_attempt"),
        )
        if quiz.reveal in ("after_last_attempt", "once_passed_or_last") and quiz.max_attempts == 0:
            self.at("reveal", f"reveal = \"{quiz.reveal}\" needs a 'max_attempts' limit; "
                              "with unlimited attempts the answers would never be shown")
        quiz.questions = self.read_questions(data.get("questions"))
        if "draw" in data:
            draw = data["draw"]
            total = len(quiz.questions)
            if not isinstance(draw, int) or isinstance(draw, bool) or draw < 1:
                self.at("draw", "'draw' must be a whole number of questions, at least 1")
            elif draw > total:
                self.at("draw", f"'draw' asks for {draw} questions per attempt, but the pool has only {total}")
            else:
                quiz.draw = draw
        return quiz if len(self.problems) == self.count_before else None

    def read_questions(self, questions) -> list[QuestionSpec]:
        if not isinstance(questions, list) or not questions or not all(isinstance(q, dict) for q in questions):
            self.at("questions", "the quiz needs at least one [[questions]] table")
            return []
        if len(questions) > MAX_QUESTIONS:
            self.at("questions", f"a quiz has at most {MAX_QUESTIONS} questions")
        specs, seen = [], {}
        for index, question in enumerate(questions):
            spec = self.read_question(question, f"questions[{index}]", index + 1)
            if spec is None:
                continue
            if spec.key in seen:
                self.at(f"questions[{index}].id", f"duplicate question id '{spec.key}' (also question {seen[spec.key]})")
                continue
            seen[spec.key] = index + 1
            specs.append(spec)
        return specs

    def read_question(self, question: dict, key: str, number: int) -> QuestionSpec | None:
        prefix = f"{key}."
        qid = question.get("id")
        if not isinstance(qid, str) or not SLUG.match(qid):
            self.at(f"{prefix}id", f"question {number}: 'id' must be a slug (lower-case letters, digits, hyphens)")
            return None
        qtype = question.get("type")
        if qtype not in QUESTION_TYPES:
            self.at(f"{prefix}type", f"question '{qid}': unknown type {qtype!r} (allowed: {', '.join(QUESTION_TYPES)})")
            return None
        self.unknown_keys(question, QUESTION_KEYS[qtype], prefix, f"a {qtype} question")
        spec = QuestionSpec(
            key=qid,
            type=qtype,
            points=self.whole_number(question, "points", 1, MAX_POINTS, 1, prefix=prefix),
            text=self.bilingual(question, "text", prefix=prefix, required=True),
            feedback=self.bilingual(question, "feedback", prefix=prefix, required=False),
            data={},
        )
        reader = getattr(self, f"read_{qtype}")
        spec.data = reader(question, prefix, qid)
        return spec

    # --- one reader per question type; each returns the grader's data

    def read_single(self, question: dict, prefix: str, qid: str) -> dict:
        choices = self.read_options(question, "choices", prefix, qid, CHOICES_RANGE, CHOICE_KEYS)
        correct = [c for c in choices if c["correct"]]
        if choices and len(correct) != 1:
            self.at(f"{prefix}choices", f"question '{qid}': a single-choice question needs exactly one correct "
                                        f"choice; found {len(correct)}")
        return {"choices": choices}

    def read_multiple(self, question: dict, prefix: str, qid: str) -> dict:
        choices = self.read_options(question, "choices", prefix, qid, CHOICES_RANGE, CHOICE_KEYS)
        if choices and not any(c["correct"] for c in choices):
            self.at(f"{prefix}choices", f"question '{qid}': no choice is marked correct = true")
        scoring = self.choice(question, "scoring", SCORING_RULES, "all_or_nothing", prefix=prefix)
        return {"choices": choices, "scoring": scoring}

    def read_true_false(self, question: dict, prefix: str, qid: str) -> dict:
        answer = question.get("answer")
        if not isinstance(answer, bool):
            self.at(f"{prefix}answer" if "answer" in question else prefix.rstrip("."),
                    f"question '{qid}': a true_false question needs 'answer = true' or 'answer = false'")
        return {"answer": answer}

    def read_numeric(self, question: dict, prefix: str, qid: str) -> dict:
        answer = question.get("answer")
        if not isinstance(answer, (int, float)) or isinstance(answer, bool) or not math.isfinite(answer):
            self.at(f"{prefix}answer" if "answer" in question else prefix.rstrip("."),
                    f"question '{qid}': a numeric question needs a number as 'answer'")
            answer = 0
        tolerance, relative = question.get("tolerance", 0), False
        if isinstance(tolerance, str) and (match := RELATIVE_TOLERANCE.match(tolerance)):
            tolerance, relative = float(match.group(1)) / 100, True
        if not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool) or not 0 <= tolerance < math.inf:
            self.at(f"{prefix}tolerance", f"question '{qid}': 'tolerance' must be a number of at least 0 "
                                          "(absolute) or a percentage such as \"5%\" (relative)")
            tolerance = 0
        if relative and answer == 0 and tolerance:
            self.at(f"{prefix}tolerance", f"question '{qid}': a relative tolerance of 0 is nothing; "
                                          "use an absolute tolerance when the answer is 0")
        unit = self.bilingual(question, "unit", prefix=prefix, required=False, max_length=40)
        return {"answer": answer, "tolerance": tolerance, "relative": relative, "unit": unit}

    def read_text(self, question: dict, prefix: str, qid: str) -> dict:
        answers = question.get("answers")
        if (not isinstance(answers, list) or not answers
                or not all(isinstance(a, str) and a.strip() for a in answers)):
            self.at(f"{prefix}answers" if "answers" in question else prefix.rstrip("."),
                    f"question '{qid}': a text question needs 'answers', a list of accepted answers")
            return {"answers": []}
        if any(len(a) > MAX_ANSWER_TEXT for a in answers):
            self.at(f"{prefix}answers", f"question '{qid}': an accepted answer is longer than {MAX_ANSWER_TEXT} characters")
        return {"answers": [a.strip() for a in answers]}

    def read_ordering(self, question: dict, prefix: str, qid: str) -> dict:
        items = self.read_options(question, "items", prefix, qid, ITEMS_RANGE, ITEM_KEYS)
        scoring = self.choice(question, "scoring", SCORING_RULES, "all_or_nothing", prefix=prefix)
        return {"items": items, "scoring": scoring}

    def read_options(self, question: dict, name: str, prefix: str, qid: str, size: tuple[int, int],
                     allowed: set[str]) -> list[dict]:
        """Choices or ordering items: ids unique in the question, both languages, a size in range."""
        options = question.get(name)
        low, high = size
        if (not isinstance(options, list) or not low <= len(options) <= high
                or not all(isinstance(o, dict) for o in options)):
            self.at(f"{prefix}{name}" if name in question else prefix.rstrip("."),
                    f"question '{qid}': needs {low} to {high} [[{prefix}{name}]] tables")
            return []
        result, seen = [], set()
        for index, option in enumerate(options):
            key = f"{prefix}{name}[{index}]."
            self.unknown_keys(option, allowed, key, name[:-1])
            oid = option.get("id")
            if not isinstance(oid, str) or not SLUG.match(oid):
                self.at(f"{key}id", f"question '{qid}': {name[:-1]} {index + 1} needs an 'id' that is a slug")
                continue
            if oid in seen:
                self.at(f"{key}id", f"question '{qid}': {name[:-1]} id '{oid}' is used twice")
                continue
            seen.add(oid)
            entry = {"id": oid, "text": self.bilingual(option, "text", prefix=key, required=True,
                                                       max_length=MAX_CHOICE_TEXT)}
            if "correct" in allowed:
                entry["correct"] = self.boolean(option, "correct", False, prefix=key)
                entry["feedback"] = self.bilingual(option, "feedback", prefix=key, required=False)
            result.append(entry)
        return result
