"""Offsets at the Label Studio boundary: UTF-16 units, CRLF, edge whitespace; every span comes back exact."""

from __future__ import annotations

import json

import pytest

from gxie.annotate.importer import from_results
from gxie.annotate.offsets import OffsetError, Utf16Index, locate
from gxie.annotate.tasks import original_spans, to_results
from gxie.pipeline import Prepared
from gxie.text.normalize import normalize
from gxie.types import Document, Span

# characters outside the BMP (CJK Extension B, an emoji), CRLF line ends, spaces at both ends
TEXT = "  𠀀一、总体情况\r\n規章 😀 12\r\n\t无　\r\n（二）部分公开𠮷 3 "


def js_slice(text: str, start16: int, end16: int) -> str:
    """What a browser's ``text.slice(start, end)`` gives: UTF-16 units."""
    return text.encode("utf-16-le")[2 * start16 : 2 * end16].decode("utf-16-le")


def all_pieces(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping spans over every run of non-space characters, labels cycling."""
    labels = ["SEC", "CAP", "ROW", "COL", "NUM", "EMPTY"]
    spans, start = [], None
    for i, ch in enumerate(text + " "):
        if not ch.isspace() and start is None:
            start = i
        elif ch.isspace() and start is not None:
            spans.append((start, i, labels[len(spans) % len(labels)]))
            start = None
    return spans


def test_utf16_index_matches_the_browser_count() -> None:
    index = Utf16Index(TEXT)
    assert index.length16 == len(TEXT.encode("utf-16-le")) // 2 == len(TEXT) + 3
    for i in range(len(TEXT) + 1):
        u = index.to_utf16(i)
        assert js_slice(TEXT, 0, u) == TEXT[:i]
        assert index.from_utf16(u) == i


def test_an_offset_inside_a_surrogate_pair_is_refused() -> None:
    index = Utf16Index(TEXT)
    inside = index.to_utf16(TEXT.index("𠀀")) + 1
    with pytest.raises(OffsetError, match="falls inside the character '𠀀'"):
        index.from_utf16(inside)
    with pytest.raises(OffsetError, match="outside the text"):
        index.from_utf16(index.length16 + 1)


def test_spans_round_trip_exactly_through_label_studio_results() -> None:
    spans = all_pieces(TEXT)
    spans.append((0, 2, "EMPTY"))  # leading spaces, as a span: kept exactly too
    spans.sort()
    results = json.loads(json.dumps(to_results(TEXT, spans)))  # as stored and exported by the server
    for (start, end, _), r in zip(spans, results, strict=True):
        assert js_slice(TEXT, r["value"]["start"], r["value"]["end"]) == r["value"]["text"] == TEXT[start:end]
    back, adjusted = from_results(TEXT, results)
    assert back == spans
    assert adjusted == 0


def test_text_stored_with_whitespace_collapsed_keeps_the_offsets() -> None:
    text = "规章  4   件 \r\n"
    index = Utf16Index(text)
    found = locate(index, 4, 9, "4 件")  # Label Studio collapsed the run of spaces in its copy of the text
    assert (found.start, found.end, found.how) == (4, 9, "whitespace")
    trimmed = locate(index, 3, 12, "4 件")  # offsets include edge whitespace the stored text trimmed
    assert (trimmed.start, trimmed.end) == (4, 9)


def test_a_region_that_disagrees_with_the_text_is_refused_not_shifted() -> None:
    index = Utf16Index(TEXT)
    start = TEXT.index("12")
    with pytest.raises(OffsetError, match=r"says '12' but the task text there is '2\\r'"):
        locate(index, index.to_utf16(start) + 1, index.to_utf16(start) + 3, "12")


def test_code_point_offsets_from_another_tool_are_named_as_such() -> None:
    start = TEXT.index("12")  # code points: off by the two astral characters before it
    with pytest.raises(OffsetError, match="fit if read as code points"):
        locate(Utf16Index(TEXT), start, start + 2, "12")


def test_model_spans_map_onto_the_original_text_without_edge_whitespace() -> None:
    norm = normalize(TEXT)
    prepared = Prepared("t.txt", Document(TEXT, "t.txt", "text"), norm, None)
    wanted = {"規章": "ROW", "12": "NUM", "无": "EMPTY", "（二）部分公开𠮷": "ROW"}
    spans = []
    for raw, label in wanted.items():
        a = TEXT.index(raw)
        n_start = next(i for i in range(len(norm.text)) if norm.starts[i] >= a)
        n_end = max(i for i in range(len(norm.text)) if norm.ends[i] <= a + len(raw)) + 1
        # widen by the whitespace around it in the normalized text, as a sloppy tagger would
        n_start -= norm.text[n_start - 1].isspace()
        n_end += n_end < len(norm.text) and norm.text[n_end].isspace()
        spans.append(Span(n_start, n_end, label, norm.text[n_start:n_end], 0.5))
    mapped, scores = original_spans(prepared, spans)
    assert [(TEXT[s:e], lab) for s, e, lab in mapped] == list(wanted.items())
    assert scores == [0.5] * 4
    results = to_results(TEXT, mapped, scores)
    assert [r["score"] for r in results] == scores
    assert from_results(TEXT, results)[0] == sorted(mapped)
