"""Read a module's ``assignment-<slug>.toml`` into an ``AssignmentSpec``, reporting problems as ``path:line: message``.

The format is documented in ``courses/README.md`` ("Assignments").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..rules import review
from ..rules.uploads import FILE_TYPES
from .base import MAX_TITLE, SLUG, Problem, TomlReader

ASSIGNMENT_FILE = re.compile(r"^assignment-(?P<slug>(?=[a-z0-9-]{1,80}\.)[a-z0-9]+(?:-[a-z0-9]+)*)\.toml$")
ASSIGNMENT_KEYS = {"title", "prompt", "due_days", "attachments", "sections", "rubric", "exemplar"}
ATTACHMENT_KEYS = {"types", "max_files", "max_mb"}
SECTION_KEYS = {"id", "title", "guidance"}
RUBRIC_KEYS = {"pass_points", "criteria"}
CRITERION_KEYS = {"id", "title", "description", "levels", "min_level"}
LEVEL_KEYS = {"points", "descriptor"}
EXEMPLAR_KEYS = {"answer", "note", "scores"}
EXEMPLAR_SCORE_KEYS = {"criterion", "points", "why"}

MAX_DUE_DAYS = 730
MAX_FILES = 10
MAX_MB = 25
SECTIONS_RANGE = (1, 12)
CRITERIA_RANGE = (1, 10)
LEVELS_RANGE = (2, 6)
MAX_LEVEL_POINTS = 100
MAX_DESCRIPTOR = 500


@dataclass
class AssignmentSpec:
    slug: str
    path: Path
    title: dict[str, str]
    prompt: dict[str, str]  # Markdown
    due_days: int | None
    attachment_types: list[str]  # empty: no attachments
    max_files: int
    max_mb: int
    sections: list[dict] = field(default_factory=list)  # {"id", "title": {..}, "guidance": {..} (Markdown)}
    # {"id", "title", "description", "levels": [{"points", "descriptor"}], "min_level": points or None}
    criteria: list[dict] = field(default_factory=list)
    pass_points: int = 0
    # None, or {"answer": {..}, "note": {..} (may be empty), "scores": [{"criterion", "points", "why": {..}}]} (Markdown)
    exemplar: dict | None = None

    @property
    def max_points(self) -> int:
        return sum(c["levels"][-1]["points"] for c in self.criteria)


def read_assignment(path: Path, slug: str, problems: list[Problem]) -> AssignmentSpec | None:
    return _AssignmentReader(path, problems).read(slug)


class _AssignmentReader(TomlReader):
    def read(self, slug: str) -> AssignmentSpec | None:
        data = self.load()
        if data is None:
            return None
        self.unknown_keys(data, ASSIGNMENT_KEYS)
        spec = AssignmentSpec(
            slug=slug,
            path=self.toml_path,
            title=self.bilingual(data, "title", required=True, max_length=MAX_TITLE),
            prompt=self.bilingual(data, "prompt", required=True),
            due_days=self.whole_number(data, "due_days", 1, MAX_DUE_DAYS, None),
            attachment_types=[],
            max_files=0,
            max_mb=0,
        )
        self.read_attachments(data, spec)
        spec.sections = self.read_sections(data.get("sections"))
        self.read_rubric(data, spec)
        self.read_exemplar(data, spec)
        return spec if len(self.problems) == self.count_before else None

    def read_attachments(self, data: dict, spec: AssignmentSpec) -> None:
        table = data.get("attachments")
        if table is None:
            return
        if not isinstance(table, dict):
            self.at("attachments", "'attachments' must be a table with types, max_files and max_mb")
            return
        self.unknown_keys(table, ATTACHMENT_KEYS, "attachments.")
        types = table.get("types")
        if not isinstance(types, list) or not types or any(t not in FILE_TYPES for t in types):
            self.at("attachments.types", f"'attachments.types' must list file types from: {', '.join(FILE_TYPES)}")
        else:
            spec.attachment_types = list(dict.fromkeys(types))
        spec.max_files = self.whole_number(table, "max_files", 1, MAX_FILES, None, prefix="attachments.") or 0
        spec.max_mb = self.whole_number(table, "max_mb", 1, MAX_MB, None, prefix="attachments.") or 0
        for key in ("max_files", "max_mb"):
            if key not in table:
                self.at("attachments", f"'attachments.{key}' is required when attachments are allowed")

    def read_sections(self, sections) -> list[dict]:
        low, high = SECTIONS_RANGE
        if (not isinstance(sections, list) or not low <= len(sections) <= high
                or not all(isinstance(s, dict) for s in sections)):
            self.at("sections", f"the assignment needs {low} to {high} [[sections]] tables")
            return []
        result, seen = [], set()
        for index, section in enumerate(sections):
            key = f"sections[{index}]."
            self.unknown_keys(section, SECTION_KEYS, key, "a section")
            sid = section.get("id")
            if not isinstance(sid, str) or not SLUG.match(sid):
                self.at(f"{key}id", f"section {index + 1} needs an 'id' that is a slug")
                continue
            if sid in seen:
                self.at(f"{key}id", f"section id '{sid}' is used twice")
                continue
            seen.add(sid)
            result.append({"id": sid,
                           "title": self.bilingual(section, "title", prefix=key, required=True, max_length=MAX_TITLE),
                           "guidance": self.bilingual(section, "guidance", prefix=key, required=True)})
        return result

    def read_rubric(self, data: dict, spec: AssignmentSpec) -> None:
        rubric = data.get("rubric")
        if not isinstance(rubric, dict):
            self.at("rubric", "the assignment needs a [rubric] table with pass_points and [[rubric.criteria]]")
            return
        self.unknown_keys(rubric, RUBRIC_KEYS, "rubric.")
        criteria = rubric.get("criteria")
        low, high = CRITERIA_RANGE
        if (not isinstance(criteria, list) or not low <= len(criteria) <= high
                or not all(isinstance(c, dict) for c in criteria)):
            self.at("rubric.criteria" if "criteria" in rubric else "rubric",
                    f"the rubric needs {low} to {high} [[rubric.criteria]] tables")
            return
        seen = set()
        for index, criterion in enumerate(criteria):
            key = f"rubric.criteria[{index}]."
            self.unknown_keys(criterion, CRITERION_KEYS, key, "a criterion")
            cid = criterion.get("id")
            if not isinstance(cid, str) or not SLUG.match(cid):
                self.at(f"{key}id", f"criterion {index + 1} needs an 'id' that is a slug")
                continue
            if cid in seen:
                self.at(f"{key}id", f"criterion id '{cid}' is used twice")
                continue
            seen.add(cid)
            levels = self.read_levels(criterion.get("levels"), key, cid)
            spec.criteria.append({
                "id": cid,
                "title": self.bilingual(criterion, "title", prefix=key, required=True, max_length=MAX_TITLE),
                "description": self.bilingual(criterion, "description", prefix=key, required=False),
                "levels": levels,
                "min_level": self.read_min_level(criterion, key, cid, levels),
            })
        pass_points = rubric.get("pass_points")
        maximum = spec.max_points if all(c["levels"] for c in spec.criteria) else None
        if not isinstance(pass_points, int) or isinstance(pass_points, bool) or pass_points < 0:
            self.at("rubric.pass_points" if "pass_points" in rubric else "rubric",
                    "'rubric.pass_points' must be a whole number of points, at least 0")
        elif maximum is not None and pass_points > maximum:
            self.at("rubric.pass_points", f"'rubric.pass_points' is {pass_points}, but the rubric's maximum is {maximum}")
        else:
            spec.pass_points = pass_points

    def read_min_level(self, criterion: dict, key: str, cid: str, levels: list[dict]) -> int | None:
        """``min_level``: the points of one of the criterion's levels above its lowest (a gate on approval)."""
        if "min_level" not in criterion:
            return None
        value = criterion["min_level"]
        points = [level["points"] for level in levels]
        if not isinstance(value, int) or isinstance(value, bool):
            self.at(f"{key}min_level", f"criterion '{cid}': 'min_level' must be the points of one of its levels")
            return None
        if not points:
            return None  # the levels themselves are wrong, and reported
        if value not in points:
            self.at(f"{key}min_level", f"criterion '{cid}': 'min_level' is {value}, which is not one of its levels' "
                                       f"points ({', '.join(map(str, points))})")
            return None
        if value == points[0]:
            self.at(f"{key}min_level", f"criterion '{cid}': 'min_level' {value} is its lowest level, so it gates "
                                       f"nothing; name a higher level or leave 'min_level' out")
            return None
        return value

    def read_levels(self, levels, key: str, cid: str) -> list[dict]:
        low, high = LEVELS_RANGE
        if not isinstance(levels, list) or not low <= len(levels) <= high or not all(isinstance(v, dict) for v in levels):
            self.at(f"{key}levels" if levels is not None else key.rstrip("."),
                    f"criterion '{cid}' needs {low} to {high} [[{key}levels]] tables")
            return []
        result, previous = [], -1
        for index, level in enumerate(levels):
            lkey = f"{key}levels[{index}]."
            self.unknown_keys(level, LEVEL_KEYS, lkey, "a level")
            points = level.get("points")
            if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= MAX_LEVEL_POINTS:
                self.at(f"{lkey}points", f"criterion '{cid}': level {index + 1} needs 'points', "
                                         f"a whole number from 0 to {MAX_LEVEL_POINTS}")
                return []
            if points <= previous:
                self.at(f"{lkey}points", f"criterion '{cid}': levels go from the lowest to the highest points, "
                                         f"each higher than the one before ({points} after {previous})")
                return []
            previous = points
            result.append({"points": points, "descriptor": self.bilingual(
                level, "descriptor", prefix=lkey, required=True, max_length=MAX_DESCRIPTOR)})
        return result

    def read_exemplar(self, data: dict, spec: AssignmentSpec) -> None:
        """``[exemplar]``: a strong answer and the scores an experienced mentor gave it, for mentors only.

        Every criterion is scored once with one of its levels, and the scores must approve the work (every gate met,
        the total at least ``pass_points``): an exemplar that could not be approved would calibrate mentors wrongly.
        """
        table = data.get("exemplar")
        if table is None:
            return
        if not isinstance(table, dict):
            self.at("exemplar", "'exemplar' must be a table with answer and [[exemplar.scores]]")
            return
        self.unknown_keys(table, EXEMPLAR_KEYS, "exemplar.")
        if not spec.criteria or not all(c["levels"] for c in spec.criteria):
            return  # the rubric itself is wrong and reported; scores against it would only add noise
        before = len(self.problems)
        exemplar = {"answer": self.bilingual(table, "answer", prefix="exemplar.", required=True),
                    "note": self.bilingual(table, "note", prefix="exemplar.", required=False), "scores": []}
        entries = table.get("scores")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            self.at("exemplar.scores" if "scores" in table else "exemplar",
                    "the exemplar needs one [[exemplar.scores]] table per rubric criterion")
            return
        criteria = {c["id"]: c for c in spec.criteria}
        for index, entry in enumerate(entries):
            key = f"exemplar.scores[{index}]."
            self.unknown_keys(entry, EXEMPLAR_SCORE_KEYS, key, "an exemplar score")
            cid, points = entry.get("criterion"), entry.get("points")
            criterion = criteria.get(cid) if isinstance(cid, str) else None
            if criterion is None:
                self.at(f"{key}criterion", f"exemplar score {index + 1}: 'criterion' must name a criterion of the "
                                           f"rubric ({', '.join(criteria) or 'none'})")
                continue
            if any(s["criterion"] == cid for s in exemplar["scores"]):
                self.at(f"{key}criterion", f"exemplar: criterion '{cid}' is scored twice")
                continue
            level_points = [level["points"] for level in criterion["levels"]]
            if not isinstance(points, int) or isinstance(points, bool) or points not in level_points:
                self.at(f"{key}points", f"exemplar: the score of '{cid}' must be the points of one of its levels "
                                        f"({', '.join(map(str, level_points))})")
                continue
            exemplar["scores"].append({"criterion": cid, "points": points,
                                       "why": self.bilingual(entry, "why", prefix=key, required=True)})
        if len(self.problems) != before:
            return
        scores = {s["criterion"]: s["points"] for s in exemplar["scores"]}
        if missing := review.unscored(spec.criteria, scores):
            self.at("exemplar", f"the exemplar leaves criteria unscored: {', '.join(missing)}")
        elif low := review.below_minimum(spec.criteria, scores):
            self.at("exemplar", f"the exemplar's scores could not be approved: below 'min_level' in {', '.join(low)}")
        elif review.total(scores) < spec.pass_points:
            self.at("exemplar", f"the exemplar's total is {review.total(scores)}, below 'rubric.pass_points' "
                                f"({spec.pass_points}): it could not be approved")
        else:
            order = [c["id"] for c in spec.criteria]
            exemplar["scores"].sort(key=lambda s: order.index(s["criterion"]))
            spec.exemplar = exemplar
