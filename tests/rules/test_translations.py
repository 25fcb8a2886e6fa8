"""The pairing of a unit's two languages, as a pure rule."""

from lms.rules.translations import checked, drift_started, pair

A = {"ja": "ja1", "en": "en1"}


def test_a_new_unit_is_in_step():
    assert pair(None, A).stale is None and pair(None, A).synced == A


def test_only_english_changed_leaves_japanese_behind():
    after = {"ja": "ja1", "en": "en2"}
    pairing = pair(A, after)
    assert pairing.stale == "ja" and pairing.changed == "en" and pairing.synced == A
    assert drift_started(A, after, pairing)


def test_only_japanese_changed_leaves_english_behind():
    assert pair(A, {"ja": "ja2", "en": "en1"}).stale == "en"


def test_the_other_language_catching_up_resolves_it():
    pairing = pair(A, {"ja": "ja2", "en": "en2"})
    assert pairing.stale is None and pairing.synced == {"ja": "ja2", "en": "en2"}


def test_undoing_the_change_resolves_it():
    assert pair(A, dict(A)).stale is None


def test_a_second_change_of_the_same_language_stays_out_of_step_and_restarts_the_date():
    before, after = {"ja": "ja1", "en": "en2"}, {"ja": "ja1", "en": "en3"}
    pairing = pair(A, after)
    assert pairing.stale == "ja" and drift_started(before, after, pairing)
    assert not drift_started(after, after, pair(A, after))  # re-importing the same files keeps the date


def test_an_editor_marking_it_checked_pairs_the_current_texts():
    current = {"ja": "ja1", "en": "en2"}
    assert checked(current).stale is None and pair(checked(current).synced, current).stale is None
