from __future__ import annotations

from dataclasses import dataclass

from newsdesk.web.coverage import group_stories, title_words


@dataclass
class Item:
    pk: int
    title: str
    outlet_id: int
    duplicate_of_id: int | None = None


def test_it_groups_copies_and_near_identical_titles() -> None:
    items = [
        Item(5, "Parliament passes the new farm budget bill", 1),
        Item(4, "Parliament passes new farm budget bill - Daily Wire", 2),
        Item(3, "Wire copy", 3, duplicate_of_id=1),
        Item(2, "Unrelated weather report", 4),
        Item(1, "Storm hits the coast", 5),
    ]
    stories = group_stories(items)
    assert [[a.pk for a in s.articles] for s in stories] == [[5, 4], [3, 1]]
    assert stories[1].lead.pk == 1
    assert stories[0].lead.pk == 4  # the earliest of equals


def test_it_groups_copies_of_an_original_outside_the_window() -> None:
    stories = group_stories([Item(3, "A", 1, 99), Item(2, "B", 2, 99)])
    assert len(stories) == 1
    assert stories[0].outlet_count == 2


def test_it_does_not_merge_short_titles_that_merely_overlap() -> None:
    assert group_stories([Item(2, "Rates rise", 1), Item(1, "Rates fall", 2)]) == []


def test_it_ranks_by_outlets_then_articles() -> None:
    items = [
        Item(6, "Same outlet story", 1),
        Item(5, "Same outlet story", 1),
        Item(4, "Same outlet story", 1),
        Item(3, "Two outlet story", 1),
        Item(2, "Two outlet story", 2),
    ]
    stories = group_stories(items)
    assert [s.lead.title for s in stories] == ["Two outlet story", "Same outlet story"]


def test_it_drops_outlet_suffixes_and_case_from_titles() -> None:
    assert title_words("Budget Vote Delayed | The Herald") == ("budget", "vote", "delayed")
    assert title_words("Budget vote delayed — Herald") == ("budget", "vote", "delayed")
