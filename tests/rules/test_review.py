"""The assignment state machine, rubric arithmetic and due dates."""

from __future__ import annotations

from datetime import date, datetime, timezone
from itertools import product

import pytest

from lms.rules import review as rules

ALLOWED = {
    ("draft", "submitted", "trainee"),
    ("revision_requested", "resubmitted", "trainee"),
    ("submitted", "in_review", "reviewer"),
    ("resubmitted", "in_review", "reviewer"),
    ("in_review", "revision_requested", "reviewer"),
    ("in_review", "approved", "reviewer"),
}


@pytest.mark.parametrize(("current", "target", "actor"), sorted(product(rules.STATES, rules.STATES, ("trainee", "reviewer"))))
def test_every_transition_is_allowed_or_refused(current, target, actor):
    if (current, target, actor) in ALLOWED:
        rules.check_transition(current, target, actor)
    else:
        with pytest.raises(rules.TransitionRefused):
            rules.check_transition(current, target, actor)


def test_allowed_targets():
    assert rules.allowed_targets("in_review", "reviewer") == ["revision_requested", "approved"]
    assert rules.allowed_targets("in_review", "trainee") == []
    assert rules.allowed_targets("approved", "reviewer") == []


CRITERIA = [
    {"id": "evidence", "levels": [{"points": 0}, {"points": 1}, {"points": 3}]},
    {"id": "clarity", "levels": [{"points": 0}, {"points": 2}]},
]


def test_scores_keep_only_real_levels():
    assert rules.clean_scores(CRITERIA, {"evidence": "3", "clarity": "2"}) == {"evidence": 3, "clarity": 2}
    assert rules.clean_scores(CRITERIA, {"evidence": "2", "clarity": "99"}) == {}  # not a level's points
    assert rules.clean_scores(CRITERIA, {"evidence": "x", "clarity": None, "other": "1"}) == {}
    assert rules.clean_scores(CRITERIA, {"evidence": "-1"}) == {}


def test_total_and_approval():
    assert rules.max_points(CRITERIA) == 5
    assert rules.total({"evidence": 3, "clarity": 2}) == 5
    assert rules.unscored(CRITERIA, {"evidence": 1}) == ["clarity"]
    assert rules.approval_problem(CRITERIA, {"evidence": 1}, 3) == "unscored"
    assert rules.approval_problem(CRITERIA, {"evidence": 1, "clarity": 0}, 3) == "below_pass"
    assert rules.approval_problem(CRITERIA, {"evidence": 1, "clarity": 2}, 3) is None  # the pass mark is inclusive
    assert rules.approval_problem(CRITERIA, {"evidence": 0, "clarity": 0}, 0) is None


# "framework" gates approval at 2 points; "clarity" does not gate. Maximum 3 + 2 = 5; pass_points 3 below.
GATED = [
    {"id": "framework", "min_level": 2, "levels": [{"points": 0}, {"points": 1}, {"points": 2}, {"points": 3}]},
    {"id": "clarity", "levels": [{"points": 0}, {"points": 1}, {"points": 2}]},
]


@pytest.mark.parametrize(("scores", "pass_points", "problem", "below"), [
    ({"framework": 3, "clarity": 2}, 3, None, []),
    ({"framework": 2, "clarity": 1}, 3, None, []),                       # the minimum itself may be approved
    ({"framework": 2, "clarity": 0}, 3, "below_pass", []),              # every gate met, the total is not
    ({"framework": 1, "clarity": 2}, 3, "below_minimum", ["framework"]),  # the total passes, the gate does not
    ({"framework": 0, "clarity": 2}, 0, "below_minimum", ["framework"]),  # even with no pass mark at all
    ({"framework": 0, "clarity": 0}, 3, "below_minimum", ["framework"]),  # the gate is named before the total
    ({"framework": 0}, 3, "unscored", ["framework"]),                    # unscored comes first
    ({"clarity": 2}, 0, "unscored", []),                                 # an unscored gate is not "below"
])
def test_a_gating_criterion_below_its_minimum_refuses_approval(scores, pass_points, problem, below):
    assert rules.approval_problem(GATED, scores, pass_points) == problem
    assert rules.below_minimum(GATED, scores) == below


@pytest.mark.parametrize(("criterion", "floor"), [
    ({"id": "a", "min_level": 2}, 2),
    ({"id": "a", "min_level": 0}, 0),
    ({"id": "a"}, None),
    ({"id": "a", "min_level": None}, None),
    ({"id": "a", "min_level": True}, None),  # a bool is not a level
    ({"id": "a", "min_level": "2"}, None),
])
def test_min_level_reads_only_whole_numbers(criterion, floor):
    assert rules.min_level(criterion) == floor


def test_gating_lists_the_gates_in_rubric_order():
    assert rules.gating(GATED) == ["framework"]
    assert rules.gating(CRITERIA) == []
    assert rules.gating([{"id": "b", "min_level": 1}, {"id": "a"}, {"id": "c", "min_level": 3}]) == ["b", "c"]


def test_running_total_counts_the_levels_picked_so_far():
    """What the grading view shows before saving: strings from the form, unknown points ignored."""
    assert rules.running_total(CRITERIA, {}, 3) == rules.RunningTotal(0, 5, "unscored")
    assert rules.running_total(CRITERIA, {"evidence": "3"}, 3) == rules.RunningTotal(3, 5, "unscored")
    assert rules.running_total(CRITERIA, {"evidence": "1", "clarity": "0"}, 3) == rules.RunningTotal(1, 5, "below_pass")
    assert rules.running_total(CRITERIA, {"evidence": 1, "clarity": 2}, 3) == rules.RunningTotal(3, 5, None)
    assert rules.running_total(CRITERIA, {"evidence": "2", "clarity": "2"}, 3).total == 2  # 2 is no evidence level


def test_due_date_is_the_end_of_the_day_in_tokyo():
    due = rules.due_at(date(2026, 4, 1), 14)
    assert due == datetime(2026, 4, 15, 14, 59, 59, tzinfo=timezone.utc)  # 23:59:59 JST
    assert rules.due_at(None, 14) is None and rules.due_at(date(2026, 4, 1), None) is None
    assert not rules.is_late(datetime(2026, 4, 15, 14, 59, 59, tzinfo=timezone.utc), due)
    assert rules.is_late(datetime(2026, 4, 15, 15, 0, 0, tzinfo=timezone.utc), due)
    assert not rules.is_late(datetime(2030, 1, 1, tzinfo=timezone.utc), None)
