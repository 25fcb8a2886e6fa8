import pytest

from lms.rules.progress import Progress, measure, next_item


@pytest.mark.parametrize(
    "required, done, expected_done, percent, complete",
    [
        ([], set(), 0, 0, False),
        ([1, 2, 3], set(), 0, 0, False),
        ([1, 2, 3], {1}, 1, 33, False),
        ([1, 2, 3], {1, 2}, 2, 66, False),  # rounded down, never shows 100% early
        ([1, 2, 3], {1, 2, 3}, 3, 100, True),
        ([1, 2], {1, 2, 99}, 2, 100, True),  # done items no longer required do not count
    ],
)
def test_measure(required, done, expected_done, percent, complete):
    progress = measure(required, done)
    assert progress.done == expected_done
    assert progress.total == len(required)
    assert progress.percent == percent
    assert progress.complete is complete


def test_percent_never_reaches_100_before_the_end():
    assert Progress(done=199, total=200).percent == 99


@pytest.mark.parametrize(
    "ordered, done, expected",
    [([1, 2, 3], set(), 1), ([1, 2, 3], {1}, 2), ([1, 2, 3], {2}, 1), ([1, 2, 3], {1, 2, 3}, None), ([], set(), None)],
)
def test_next_item_is_first_not_done(ordered, done, expected):
    assert next_item(ordered, done) == expected
