"""gxie.text.normalize: what changes, and the offset map back to the original text."""

from __future__ import annotations

import random
import re
import time

import pytest

from gxie.text.normalize import PHRASES, normalize
from tests.conftest import require_seeds  # ../shared/seeds beside the repository, or $GXIE_SEEDS

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")

# (source, normalized text, starts, ends); None: the map is the identity.
CASES = [
    ("規範性檔案", "规范性文件", None, None),
    ("政府資訊公開工作年度報告", "政府信息公开工作年度报告", None, None),
    ("行政複議\t結果維持", "行政复议\t结果维持", None, None),
    ("１２３，（一）：", "123,(一):", None, None),
    ("本年增/減\u3000＋７", "本年增/减 +7", None, None),
    ("0\xa0\t\xa00", "0 \t 0", None, None),
    ("、。“”《》【】〔〕", "、。“”《》【】〔〕", None, None),
    ("\ufeff一、", "一、", [1, 2], [2, 3]),
    ("a\r\nb", "a\nb", [0, 1, 3], [1, 3, 4]),
    ("a\rb\x0cc\x0bd", "a\nb\nc\nd", None, None),
    ("[bookmark: redHead]永康", "永康", [19, 20], [20, 21]),
    ("x[bookmark: _GoBack]五、", "x五、", [0, 20, 21], [1, 21, 22]),
    ("1\u200b2\u200c3\u200d4\u20605", "12345", [0, 2, 4, 6, 8], [1, 3, 5, 7, 9]),
    ("规\xad范", "规范", [0, 2], [1, 3]),
    ("a\x01b\x7fc", "abc", [0, 2, 4], [1, 3, 5]),
    ("𠀀１", "𠀀1", None, None),
    ("", "", [], []),
]


@pytest.mark.parametrize(("source", "text", "starts", "ends"), CASES)
def test_normalized_text_and_offset_map(
    source: str, text: str, starts: list[int] | None, ends: list[int] | None
) -> None:
    nt = normalize(source)
    assert nt.text == text
    assert nt.original == source
    assert list(nt.starts) == (list(range(len(text))) if starts is None else starts)
    assert list(nt.ends) == (list(range(1, len(text) + 1)) if ends is None else ends)


def test_spans_map_back_to_their_source() -> None:
    source = "[bookmark: redHead]第二十條第（五）項\r\n行政許可\u3000６\t０\t１４７\r\n規範性檔案\t\xa0+7\ufeff"
    nt = normalize(source)
    assert nt.text == "第二十条第(五)项\n行政许可 6\t0\t147\n规范性文件\t +7"
    expected = {
        "第二十条第(五)项": "第二十條第（五）項",
        "行政许可": "行政許可",
        "147": "１４７",
        "规范性文件": "規範性檔案",
        "(五)": "（五）",
        "项\n行": "項\r\n行",
        " +7": "\xa0+7",
    }
    for norm, original in expected.items():
        start = nt.text.index(norm)
        a, b = nt.original_span(start, start + len(norm))
        assert source[a:b] == original


def test_every_span_renormalizes_to_itself() -> None:
    # characters that convert one by one, so any slice normalizes on its own to the same text
    source = "一、總體情況\r\n收費\u3000１０\t\xa0[bookmark: x]結轉\u200b下年度\x0c（七）總計"
    nt = normalize(source)
    for start in range(len(nt.text) + 1):
        for end in range(start, len(nt.text) + 1):
            a, b = nt.original_span(start, end)
            assert normalize(source[a:b]).text == nt.text[start:end], (start, end)


def test_empty_span_and_bad_spans() -> None:
    nt = normalize("a\r\nb")
    assert nt.original_span(1, 1) == (1, 1)
    assert nt.original_span(3, 3) == (4, 4)
    with pytest.raises(ValueError, match="outside the normalized text"):
        nt.original_span(2, 5)


def test_phrase_table_keys_are_traditional_and_values_simplified() -> None:
    for key, value in PHRASES.items():
        assert normalize(value).text == value, value
        assert key != value


def test_rejects_bytes() -> None:
    with pytest.raises(TypeError, match="str, not bytes"):
        normalize(b"abc")  # type: ignore[arg-type]


POOL = list("ab09 \t\n\r\x0c\x0b\x01\x7f\u200b\ufeff\xad\xa0\u3000１，（）：、。國資訊檔案規範性乾燥後国信息𠀀]")
POOL += ["[bookmark: x]", "[bookmark: _GoBack]", "\r\n", "規範性檔案", "政府資訊"]
DROPPED = set("\x01\x7f\u200b\ufeff\xad")


def _random_text(rng: random.Random) -> str:
    return "".join(rng.choice(POOL) for _ in range(rng.randrange(0, 40)))


def test_offset_map_properties_on_random_text() -> None:
    rng = random.Random(20240607)
    for _ in range(400):
        source = _random_text(rng)
        nt = normalize(source)
        starts, ends = list(nt.starts), list(nt.ends)
        assert len(starts) == len(ends) == len(nt.text)
        assert all(0 <= s < e <= len(source) for s, e in zip(starts, ends, strict=True))
        assert starts == sorted(starts) and ends == sorted(ends)
        covered = {i for s, e in zip(starts, ends, strict=True) for i in range(s, e)}
        bookmarks = {i for m in re.finditer(r"\[bookmark: [^\]]*\]", source) for i in range(*m.span())}
        for i, ch in enumerate(source):
            assert i in covered or i in bookmarks or ch in DROPPED, (source, i)
        for i, ch in enumerate(nt.text):
            if not HAN.match(ch):  # non-Han characters map back one unit at a time
                assert normalize(source[starts[i] : ends[i]]).text == ch, (source, i)


def test_runs_on_long_text() -> None:
    unit = "第二十條第（五）項\r\n行政許可\u3000６\t０\t１４７\n規範性檔案\xa0一、总体情况[bookmark: x]\n"
    text = unit * (2_000_000 // len(unit))
    began = time.perf_counter()
    nt = normalize(text)
    elapsed = time.perf_counter() - began
    assert len(nt.text) == len(nt.starts) == len(nt.ends)
    assert nt.original_span(len(nt.text) - 1, len(nt.text)) == (len(text) - 1, len(text))
    print(f"normalized {len(text):,} characters in {elapsed:.3f} s")


def test_seeds_normalize_cleanly() -> None:
    for path in sorted(require_seeds().glob("*.txt")):
        source = path.read_text(encoding="utf-8")
        nt = normalize(source)
        assert not re.search(r"[\r\xa0\u3000\ufeff\u200b]|\[bookmark:", nt.text), path.name
        if "規範性檔案" in source:
            assert "规范性文件" in nt.text and "档案" not in nt.text
        start = 0
        for line in nt.text.split("\n"):  # each line maps back to a slice that normalizes to it
            a, b = nt.original_span(start, start + len(line))
            assert normalize(source[a:b]).text == line, (path.name, line)
            start += len(line) + 1


class _LengthChangingConverter:
    """Stands in for OpenCC to exercise a conversion that changes a run's length."""

    def convert(self, text: str) -> str:
        return text.replace("乾燥", "干燥剂")


def test_length_changing_conversion_maps_to_the_whole_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import gxie.text.normalize as module

    monkeypatch.setattr(module, "_converter", _LengthChangingConverter)
    nt = normalize("ab乾燥cd\u200b 乾燥x")
    assert nt.text == "ab干燥剂cd 干燥剂x"
    assert list(nt.starts) == [0, 1, 2, 2, 2, 4, 5, 7, 8, 8, 8, 10]
    assert list(nt.ends) == [1, 2, 4, 4, 4, 5, 6, 8, 10, 10, 10, 11]
    assert nt.original_span(2, 5) == (2, 4)


def _inner_text(rows: list[list[str]]) -> str:
    """Rows as a browser's innerText writes a table: cells as paragraphs, a tab line between them."""
    return "\n\n\n\n".join("\n\n\t\n\n".join(row) for row in rows)


def test_browser_cell_separators_become_tabs_with_exact_offsets() -> None:
    rows = [[f"行{i}", str(i), str(i + 1)] for i in range(10)]  # 20 separators: the threshold
    text = "表\n" + _inner_text(rows)
    nt = normalize(text)
    assert nt.text == "表\n" + "\n\n\n\n".join("\t".join(row) for row in rows)
    tab = nt.text.index("\t")
    assert nt.original_span(tab, tab + 1) == (4, 9)
    assert text[4:9] == "\n\n\t\n\n"
    for i, ch in enumerate(nt.text):
        start, end = nt.original_span(i, i + 1)
        assert text[start:end] == (ch if ch != "\t" else "\n\n\t\n\n")


def test_a_few_tab_lines_are_left_alone() -> None:
    text = "\n\n\t\n\n".join(["a", "b", "c"])  # 2 separators: a merged cell, not a browser's table
    assert normalize(text).text == text


def test_report_copied_from_a_browser_reads_like_its_tab_rows() -> None:
    """A synthetic tab-rows report rewritten the way Chromium's innerText prints tables gives the same grid."""
    from gxie import extract_text
    from gxie.training.synth import generate

    report = next(iter(generate(1, 5, layouts=("tab_rows",), noise_levels=("clean",))))
    lines = report.text.split("\n")
    browser = "\n".join("\n\n\n\n" + "\n\n\t\n\n".join(line.split("\t")) if "\t" in line else line for line in lines)
    assert browser.count("\n\n\t\n\n") >= 20
    expected = extract_text(report.text, tagger="rules").to_flat()
    assert extract_text(browser, tagger="rules").to_flat() == expected == dict(report.flat)


def test_blank_lines_on_one_side_of_a_tab_go_too() -> None:
    rows = [[f"行{i}", str(i), str(i + 1)] for i in range(10)]
    text = _inner_text(rows) + "\n\n\n\n规章\n\n\t0\t\n\n0\t0"  # cells that are paragraphs of their own
    nt = normalize(text)
    assert nt.text.endswith("\n\n\n\n规章\t0\t0\t0")
    tail = len(nt.text) - len("\t0\t0\t0")
    assert text[slice(*nt.original_span(tail, tail + 1))] == "\n\n\t"
    assert text[slice(*nt.original_span(tail + 2, tail + 3))] == "\t\n\n"
