"""Page arithmetic shared by every paged list: how many pages, and a requested page brought into range."""

from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """Pages needed for ``total`` items; an empty list still has one (empty) page."""
    return max(1, -(-total // per_page))


def clamp_page(page: int, total: int, per_page: int) -> tuple[int, int]:
    """``(page, pages)``: the requested page moved into 1..pages (a stale or hand-typed number lands on an end)."""
    pages = page_count(total, per_page)
    return min(max(1, page), pages), pages
