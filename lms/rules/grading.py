"""Quiz grading: plain functions over plain data, so every rule can be tested without a database.

A question's ``data`` is what the importer validated (``lms/content/quizzes.py``); an answer is
what the attempt form saved. ``score`` turns the two into a fraction from 0 to 1.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

QUESTION_TYPES = ("single", "multiple", "true_false", "numeric", "text", "ordering")
CHOICE_TYPES = ("single", "multiple", "true_false")  # the types whose picks item analysis counts
SCORING_RULES = ("all_or_nothing", "partial")
GRADING_POLICIES = ("highest", "latest")
# "once_passed_or_last": as soon as the trainee passes, or once every attempt is used without passing, so that
# nobody who passes early, and nobody who fails every attempt, goes without the feedback.
REVEAL_POLICIES = ("after_attempt", "once_passed", "after_last_attempt", "once_passed_or_last", "never")


def normalize_text(text: str) -> str:
    """Full-width and half-width forms alike (NFKC), case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# Commas only as thousands separators ("1,000" or "12,345.6"): "1,5" is ambiguous, so it is not a number.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_number(raw) -> float | None:
    """A typed number: full-width digits, thousands separators and a Unicode minus are accepted."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).strip().replace("\u2212", "-").replace(" ", "")
    if not text:
        return None
    if "," in text:
        if not _GROUPED.match(text):
            return None
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def is_answered(qtype: str, answer) -> bool:
    """An answer of the right shape for the type. A saved answer of another shape (the question's
    type changed in the course files after it was saved) counts as no answer, never as a crash."""
    if qtype in ("numeric", "text"):
        return isinstance(answer, str) and bool(answer.strip())
    if qtype in ("multiple", "ordering"):
        return isinstance(answer, list) and bool(answer) and all(isinstance(a, str) for a in answer)
    if qtype == "single":
        return isinstance(answer, str) and bool(answer)
    if qtype == "true_false":
        return isinstance(answer, bool)
    return False


def score(qtype: str, data: dict, answer) -> float:
    """The fraction of the question's points this answer earns, from 0 to 1."""
    if not is_answered(qtype, answer):
        return 0.0
    return _SCORERS[qtype](data, answer)


def _single(data: dict, answer) -> float:
    return 1.0 if any(c["id"] == answer and c["correct"] for c in data["choices"]) else 0.0


def _multiple(data: dict, answer) -> float:
    picked = set(answer)
    correct = {c["id"] for c in data["choices"] if c["correct"]}
    wrong = {c["id"] for c in data["choices"] if not c["correct"]}
    if data.get("scoring") != "partial":
        return 1.0 if picked == correct else 0.0
    # Each correct pick earns its share; each wrong pick costs its share of the wrong choices.
    earned = len(picked & correct) / len(correct)
    penalty = len(picked & wrong) / len(wrong) if wrong else 0.0
    return max(0.0, earned - penalty)


def _true_false(data: dict, answer) -> float:
    return 1.0 if isinstance(answer, bool) and answer is data["answer"] else 0.0


def _numeric(data: dict, answer) -> float:
    value = parse_number(answer)
    if value is None:
        return 0.0
    expected = data["answer"]
    allowed = data["tolerance"] * abs(expected) if data.get("relative") else data["tolerance"]
    # A hair of slack so that 0.1 + 0.2 style representation errors never fail a bound.
    slack = 1e-9 * max(1.0, abs(expected))
    return 1.0 if abs(value - expected) <= allowed + slack else 0.0


def _text(data: dict, answer) -> float:
    given = normalize_text(answer)
    return 1.0 if given and given in {normalize_text(a) for a in data["answers"]} else 0.0


def _ordering(data: dict, answer) -> float:
    expected = [item["id"] for item in data["items"]]
    if sorted(answer) != sorted(expected):
        return 0.0  # not a permutation of the items: nothing to grade
    if data.get("scoring") != "partial":
        return 1.0 if list(answer) == expected else 0.0
    return sum(a == e for a, e in zip(answer, expected)) / len(expected)


_SCORERS = {"single": _single, "multiple": _multiple, "true_false": _true_false,
            "numeric": _numeric, "text": _text, "ordering": _ordering}


def correct_answer(qtype: str, data: dict):
    """The answer that earns full marks, in the same shape as a saved answer."""
    if qtype == "single":
        return next(c["id"] for c in data["choices"] if c["correct"])
    if qtype == "multiple":
        return [c["id"] for c in data["choices"] if c["correct"]]
    if qtype == "ordering":
        return [item["id"] for item in data["items"]]
    if qtype == "text":
        return data["answers"]
    return data["answer"]


def picks(qtype: str, answer) -> list[str]:
    """The choices an answer picked, for item analysis ("true"/"false" for true/false questions)."""
    if not is_answered(qtype, answer):
        return []
    if qtype == "single":
        return [answer]
    if qtype == "multiple":
        return list(dict.fromkeys(answer))
    if qtype == "true_false":
        return ["true" if answer else "false"]
    return []


# --- attempts and quizzes


def attempt_percent(marks: Iterable[tuple[float, int]]) -> float:
    """Percent from (fraction, points) per question, unrounded: the pass check must not round 69.995 up.
    Pages round for display."""
    marks = list(marks)
    total = sum(points for _, points in marks)
    if not total:
        return 0.0
    return 100 * sum(fraction * points for fraction, points in marks) / total


def attempt_points(marks: Iterable[tuple[float | None, int]]) -> tuple[float, int]:
    """(points earned, points possible) from (fraction, points) per question; an unmarked answer earns nothing."""
    marks = list(marks)
    return sum((fraction or 0) * points for fraction, points in marks), sum(points for _, points in marks)


def has_passed(percent: float, pass_mark: int) -> bool:
    return percent >= pass_mark


@dataclass(frozen=True)
class GradedAttempt:
    number: int
    percent: float


def kept_percent(graded: Sequence[GradedAttempt], policy: str) -> float | None:
    """The score that stands for the quiz: the highest or the latest graded attempt."""
    if not graded:
        return None
    if policy == "latest":
        return max(graded, key=lambda a: a.number).percent
    return max(a.percent for a in graded)


def attempts_left(max_attempts: int, used: int) -> int | None:
    """None means unlimited."""
    return None if max_attempts == 0 else max(0, max_attempts - used)


def may_reveal(policy: str, *, passed: bool, used: int, max_attempts: int) -> bool:
    """Whether a trainee may now see correct answers and feedback for their graded attempts."""
    if policy == "after_attempt":
        return True
    if policy == "once_passed":
        return passed
    if policy == "after_last_attempt":
        return max_attempts > 0 and used >= max_attempts
    if policy == "once_passed_or_last":
        return passed or (max_attempts > 0 and used >= max_attempts)
    return False
