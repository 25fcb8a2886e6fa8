"""How far a trainee is: counts of required items done, and what comes next."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        """Whole percent, rounded down so that 99.9% never shows as 100%."""
        return 100 * self.done // self.total if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total

    @property
    def started(self) -> bool:
        return self.done > 0


def measure(required: Iterable[Hashable], done: set) -> Progress:
    """Progress over ``required`` items; done items that are no longer required do not count."""
    required = set(required)
    return Progress(done=len(required & done), total=len(required))


def next_item(ordered: Sequence[Hashable], done: set) -> Hashable | None:
    """The first item in course order that is not done yet, or None when all are."""
    return next((item for item in ordered if item not in done), None)
