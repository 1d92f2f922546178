"""gxie.grid.tab_fields: which empty fields of a tab row are its label's padding."""

from __future__ import annotations

from gxie.grid.tab_fields import field_index, padding, tab_line

ROWS = ["\t甲\t\t1\t2\t3", "\t\t乙\t4\t5\t6", "\t\t丙\t7\t8\t9", "\t\t戊\t0\t0\t0", "丁\t\t\t1\t\t"]
TEXT = "\n".join(ROWS) + "\n"


def cells_after(line: int, label: str) -> list[tuple[int, bool]]:
    """The (start, blank) of each field after ``label`` on line ``line`` of TEXT."""
    start = TEXT.index(ROWS[line])
    pos = TEXT.index(label, start) + len(label)
    out = []
    for field in ROWS[line][pos - start :].split("\t")[1:]:
        pos += 1
        out.append((pos, not field))
        pos += len(field)
    return out


def test_field_index_and_tab_line() -> None:
    assert field_index(TEXT, TEXT.index("1")) == 3
    assert field_index(TEXT, TEXT.index("丁")) == 0 and field_index(TEXT, TEXT.index("乙")) == 2
    assert tab_line(TEXT, TEXT.index("丁")) and not tab_line("甲 1 2\n", 0)


def test_the_empty_fields_before_the_field_whole_rows_agree_on_are_padding() -> None:
    rows = [(3, cells_after(i, label)) for i, label in enumerate("甲乙丙戊丁")]
    pad = padding(TEXT, rows)
    last = cells_after(4, "丁")
    # 丁's two empty fields before the fourth and 甲's one; 丁's trailing blanks are cells
    assert pad == {last[0][0], last[1][0], cells_after(0, "甲")[0][0]}
    assert padding(TEXT, rows[2:]) == set()  # two whole rows agreeing are not enough
