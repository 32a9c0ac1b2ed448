"""PaginatedResults: pages of an ordered sequence and the cursor between them."""

import pytest

import headwater as hw


def test_pages_follow_each_other_through_the_cursor():
    """Each page resumes where the previous cursor left off, in either order."""
    keys = ["a", "b", "c", "d", "e"]
    first = hw.PaginatedResults.create_from_sequence(keys, limit=2)
    second = hw.PaginatedResults.create_from_sequence(keys, limit=2, cursor=first.cursor)
    last = hw.PaginatedResults.create_from_sequence(keys, limit=2, cursor=second.cursor)
    assert [first.results, second.results, last.results] == [["a", "b"], ["c", "d"], ["e"]]
    assert (first.has_more, second.has_more, last.has_more) == (True, True, False)
    down = hw.PaginatedResults.create_from_sequence(keys, limit=3, ascending=False)
    assert down.results == ["e", "d", "c"] and down.has_more


def test_a_foreign_cursor_is_refused():
    """A cursor this class did not produce is an error that says what to pass."""
    with pytest.raises(hw.HeadwaterInvalidInvocationError, match="cursor 'abc'"):
        hw.PaginatedResults.create_from_sequence(["a"], limit=1, cursor="abc")
