"""One page arithmetic for every paged list (lms/pagination.py)."""

import pytest

from lms.pagination import clamp_page, page_count


@pytest.mark.parametrize("total, per_page, pages", [(0, 25, 1), (1, 25, 1), (25, 25, 1), (26, 25, 2), (50, 25, 2),
                                                    (51, 25, 3), (7, 1, 7)])
def test_page_count(total, per_page, pages):
    assert page_count(total, per_page) == pages


@pytest.mark.parametrize("page, total, per_page, expected", [
    (1, 0, 25, (1, 1)),  # an empty list has one empty page
    (0, 100, 25, (1, 4)), (-3, 100, 25, (1, 4)),  # before the first page: the first
    (2, 100, 25, (2, 4)), (4, 100, 25, (4, 4)),
    (5, 100, 25, (4, 4)), (99, 101, 25, (5, 5)),  # after the last page: the last
])
def test_clamp_page(page, total, per_page, expected):
    assert clamp_page(page, total, per_page) == expected
