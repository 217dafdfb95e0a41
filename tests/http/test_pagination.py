"""Paging of HTML lists: pages numbered from 1, at least one."""

from app.http.pagination import page_count, page_of


def test_page_of_counts_at_least_one_page_and_slices_from_one():
    assert page_of([], 1, 50) == ([], 1)
    assert page_of(list(range(101)), 3, 50) == ([100], 3)
    assert page_of(list(range(100)), 2, 50)[1] == page_count(100, 50) == 2
    assert page_of(list(range(5)), 9, 50) == ([], 1)  # past the end: an empty page
