"""Whether a unit's two languages are in step (pure: hashes in, a state out).

A unit (a lesson, a question...) has a content hash per language. The pairing remembers the hashes of the last time
both languages were in step (``synced``). When exactly one language differs from its synced hash, the other language
is behind ("out of step"); when both differ, both were revised and they are in step again (the new hashes become the
synced pair); when neither differs, nothing changed (or a change was undone)."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("ja", "en")


@dataclass(frozen=True)
class Pairing:
    synced: dict[str, str]  # language -> hash when last in step
    stale: str | None  # the language that is behind, or None when in step

    @property
    def changed(self) -> str | None:
        """The language that changed while the other did not."""
        return None if self.stale is None else next(lang for lang in LANGUAGES if lang != self.stale)


def pair(synced: dict[str, str] | None, current: dict[str, str]) -> Pairing:
    """The pairing after importing ``current`` hashes, given the synced hashes (None: a new unit, in step)."""
    if synced is None:
        return Pairing(dict(current), None)
    changed = [lang for lang in LANGUAGES if current[lang] != synced[lang]]
    if len(changed) == 1:
        return Pairing(dict(synced), next(lang for lang in LANGUAGES if lang not in changed))
    if len(changed) == len(LANGUAGES):
        return Pairing(dict(current), None)
    return Pairing(dict(synced), None)


def checked(current: dict[str, str]) -> Pairing:
    """An editor confirmed both languages say the same thing: the current hashes become the synced pair."""
    return Pairing(dict(current), None)


def drift_started(before: dict[str, str] | None, after: dict[str, str], pairing: Pairing) -> bool:
    """Whether this import moved the changed language (so "updated on" is now); False when it stayed as it was."""
    if pairing.stale is None:
        return False
    lang = pairing.changed
    return before is None or before[lang] != after[lang]
