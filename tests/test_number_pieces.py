"""A number a tagger cut into pieces inside a cell is read whole (``gxie.text.cells.items``)."""

from __future__ import annotations

from gxie.text.cells import items
from gxie.types import Span


def _stream(text: str, spans: list[tuple[str, str]]) -> list[tuple[str, str, float]]:
    found, at = [], 0
    for label, piece in spans:
        start = text.index(piece, at)
        found.append(Span(start, start + len(piece), label, piece, 0.55 if label == "CAP" else 0.99))
        at = start + len(piece)
    return [(i.kind, i.text, i.score) for i in items(text, found)]


def test_a_number_cut_by_a_tagger_inside_a_cell_is_one_number_at_its_lowest_score() -> None:
    """``行政事业性收费 215.99`` tagged ROW, NUM ``2``, CAP ``1``, NUM ``5.99`` (the bundled model did so on a
    noisy line): read as ``2`` the fee was wrong and trusted."""
    text = "l行政事业性收费 215.99\n"
    got = _stream(text, [("ROW", "行政事业性收费"), ("NUM", "2"), ("CAP", "1"), ("NUM", "5.99")])
    assert got == [("ROW", "行政事业性收费", 0.99), ("NUM", "215.99", 0.55)]


def test_numbers_a_space_apart_and_a_numbered_label_stay_as_they_are() -> None:
    text = "行政处罚 1813 12\n1.属于国家秘密 0\n"
    got = _stream(text, [("ROW", "行政处罚"), ("NUM", "1813"), ("NUM", "12"), ("ROW", "1.属于国家秘密"), ("NUM", "0")])
    assert [(k, t) for k, t, _ in got] == [
        ("ROW", "行政处罚"),
        ("NUM", "1813"),
        ("NUM", "12"),
        ("ROW", "1.属于国家秘密"),
        ("NUM", "0"),
    ]
